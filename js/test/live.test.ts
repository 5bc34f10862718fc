/** The web app's live channel: one socket, token in the URL, refresh on pushes, fallback and reconnect. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveChannel } from "../src/app/live";
import type { Api } from "../src/app/api";

class FakeSocket extends EventTarget {
  static readonly OPEN = 1;
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: any[] = [];
  constructor(readonly url: string) {
    super();
    FakeSocket.instances.push(this);
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(): void {
    this.readyState = 3;
    this.dispatchEvent(new Event("close"));
  }
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.dispatchEvent(new Event("open"));
  }
  fail(): void {
    this.dispatchEvent(new Event("error"));
    this.close();
  }
  push(message: unknown): void {
    this.dispatchEvent(new MessageEvent("message", { data: JSON.stringify(message) }));
  }
}

const api = { liveUrl: async () => "ws://host/atoti/rest/v0/live?token=t1" } as unknown as Api;
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("LiveChannel", () => {
  const realSocket = globalThis.WebSocket;
  beforeEach(() => {
    FakeSocket.instances = [];
    (globalThis as any).WebSocket = FakeSocket;
  });
  afterEach(() => {
    (globalThis as any).WebSocket = realSocket;
    vi.useRealTimers();
  });

  it("shares one socket, subscribes per widget and refreshes only on pushed commits", async () => {
    const channel = new LiveChannel(api);
    const changes: string[] = [];
    const stopA = channel.subscribe("Sales", () => changes.push("a"), () => changes.push("a-poll"));
    channel.subscribe("Sales", () => changes.push("b"), () => changes.push("b-poll"));
    await flush();
    expect(FakeSocket.instances).toHaveLength(1);
    const socket = FakeSocket.instances[0];
    expect(socket.url).toContain("token=t1");
    socket.open();
    await flush();
    expect(socket.sent.map((m) => [m.type, m.id, m.cube])).toEqual([
      ["subscribe", "w1", "Sales"],
      ["subscribe", "w2", "Sales"],
    ]);
    socket.push({ type: "result", id: "w1", seq: 0, format: "json", data: {} }); // the first result: no refresh
    socket.push({ type: "result", id: "w2", seq: 1, format: "json", data: {} });
    expect(changes).toEqual(["b"]);
    stopA();
    expect(socket.sent[socket.sent.length - 1]).toEqual({ type: "unsubscribe", id: "w1" });
    socket.push({ type: "result", id: "w1", seq: 2, format: "json", data: {} }); // gone: ignored
    expect(changes).toEqual(["b"]);
  });

  it("tells subscribers to poll when no socket opens", async () => {
    const channel = new LiveChannel(api);
    const changes: string[] = [];
    channel.subscribe("Sales", () => changes.push("change"), () => changes.push("poll"));
    await flush();
    FakeSocket.instances[0].fail();
    await flush();
    expect(changes).toEqual(["poll"]);
  });

  it("reopens a dropped socket, subscribes again and refreshes once", async () => {
    vi.useFakeTimers();
    const channel = new LiveChannel(api);
    const changes: string[] = [];
    channel.subscribe("Sales", () => changes.push("change"), () => changes.push("poll"));
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.instances[0].open();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.instances[0].close(); // the server went away
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.instances).toHaveLength(2);
    const second = FakeSocket.instances[1];
    second.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(second.sent.map((m) => m.type)).toEqual(["subscribe"]);
    expect(changes).toEqual(["change"]); // caught up once; never fell back to polling
  });
});
