/**
 * Light or dark, following the front end the widget runs in: JupyterLab sets
 * `body[data-jp-theme-light]`, VS Code `body.vscode-dark` / `vscode-high-contrast` (and
 * `vscode-light`); elsewhere the browser's `prefers-color-scheme`.
 */
export function isDarkTheme(doc: Document): boolean {
  const body = doc.body;
  if (body) {
    const jp = body.getAttribute("data-jp-theme-light");
    if (jp === "true") return false;
    if (jp === "false") return true;
    if (body.classList.contains("vscode-dark") || body.classList.contains("vscode-high-contrast")) return true;
    if (body.classList.contains("vscode-light") || body.classList.contains("vscode-high-contrast-light")) return false;
  }
  const media = doc.defaultView?.matchMedia?.("(prefers-color-scheme: dark)");
  return media?.matches === true;
}

/**
 * Call `callback` when the theme changes (JupyterLab / VS Code switch the body attributes and
 * classes; the OS switches the media query). Returns the function that stops watching.
 */
export function watchTheme(doc: Document, callback: (dark: boolean) => void): () => void {
  let current = isDarkTheme(doc);
  const check = () => {
    const dark = isDarkTheme(doc);
    if (dark !== current) {
      current = dark;
      callback(dark);
    }
  };
  const stops: (() => void)[] = [];
  const Observer = doc.defaultView?.MutationObserver;
  if (Observer && doc.body) {
    const observer = new Observer(check);
    observer.observe(doc.body, { attributes: true, attributeFilter: ["class", "data-jp-theme-light"] });
    stops.push(() => observer.disconnect());
  }
  const media = doc.defaultView?.matchMedia?.("(prefers-color-scheme: dark)");
  if (media?.addEventListener) {
    media.addEventListener("change", check);
    stops.push(() => media.removeEventListener("change", check));
  }
  return () => stops.forEach((stop) => stop());
}
