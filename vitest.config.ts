import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["js/test/**/*.test.ts", "js/src/**/*.test.ts"],
    environment: "happy-dom",
    css: false,
  },
});
