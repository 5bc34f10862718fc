/**
 * A pivot model backed by the session's HTTP API instead of a Jupyter comm.
 *
 * `PivotView` (js/src/widgets/pivot.ts) reads and writes traits through an anywidget model. This
 * class gives it one: writing `state` and saving runs the query on the server
 * (`POST cubes/{cube}/pivot`, the same code as the notebook widget) and sets `data`,
 * `cross_totals` and `error` from the answer. "Real time" (on by default, as in atoti's app) re-runs
 * the query when the server says the cube's data changed (`LiveChannel`), or polls every
 * `refresh_ms` when no websocket can be opened.
 */
import type { PivotState } from "../grid/state";
import type { Api } from "./api";
import type { LiveChannel } from "./live";

type Listener = () => void;

export class HttpPivotModel {
  private readonly values: Record<string, unknown>;
  private readonly listeners = new Map<string, Set<Listener>>();
  private dirty = new Set<string>();
  private running = 0;
  private timer: number | null = null;
  private unsubscribe: (() => void) | null = null;
  private liveCube: string | null = null;

  constructor(
    private readonly api: Api,
    state: PivotState,
    title: string,
    private readonly onStateChange: () => void = () => {},
    private readonly channel: LiveChannel | null = null,
  ) {
    this.values = {
      state,
      model: null,
      data: new DataView(new ArrayBuffer(0)),
      cross_totals: new DataView(new ArrayBuffer(0)),
      error: "",
      live: true,
      refresh_ms: 1000,
      title,
    };
  }

  get(key: string): any {
    return this.values[key];
  }

  set(key: string, value: unknown): void {
    this.values[key] = value;
    this.dirty.add(key);
    this.emit(`change:${key}`);
  }

  on(event: string, callback: Listener): void {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(callback);
  }

  off(event?: string | null, callback?: Listener | null): void {
    if (!event) this.listeners.clear();
    else if (!callback) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(callback);
  }

  send(): void {}

  save_changes(): void {
    const changed = this.dirty;
    this.dirty = new Set();
    if (changed.has("state")) {
      this.onStateChange();
      void this.refresh();
    }
    const cube = (this.get("state") as PivotState).cube;
    if (changed.has("live") || (this.liveCube !== null && cube !== this.liveCube)) this.schedule();
  }

  /** Load the cube's data model, then run the query. */
  async load(): Promise<void> {
    const state = this.get("state") as PivotState;
    try {
      this.set("model", await this.api.json(`cubes/${encodeURIComponent(state.cube)}/model`));
    } catch (error) {
      this.set("error", String((error as Error).message ?? error));
      return;
    }
    await this.refresh();
    this.schedule();
  }

  /** Run the current state on the server; only the latest run's answer is shown. */
  async refresh(): Promise<void> {
    const run = ++this.running;
    const state = this.get("state") as PivotState;
    try {
      const answer = await this.api.json(`cubes/${encodeURIComponent(state.cube)}/pivot`, {
        method: "POST",
        body: { state },
      });
      if (run !== this.running) return;
      this.values.state = answer.state;
      this.set("cross_totals", decode(answer.crossTotals));
      this.set("data", decode(answer.data));
      this.set("error", "");
    } catch (error) {
      if (run !== this.running) return;
      this.set("error", String((error as Error).message ?? error));
    }
    this.dirty.clear();
  }

  /** "Real time": re-run after each change of the cube's data while on. */
  private schedule(): void {
    this.stopLive();
    if (!this.get("live")) return;
    const cube = (this.get("state") as PivotState).cube;
    if (this.channel === null) {
      this.poll();
      return;
    }
    this.liveCube = cube;
    this.unsubscribe = this.channel.subscribe(cube, () => void this.refresh(), () => this.poll());
  }

  private poll(): void {
    if (this.timer !== null || !this.get("live")) return;
    this.timer = window.setInterval(() => void this.refresh(), this.get("refresh_ms"));
  }

  private stopLive(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.liveCube = null;
  }

  dispose(): void {
    this.stopLive();
    this.listeners.clear();
  }

  private emit(event: string): void {
    for (const callback of [...(this.listeners.get(event) ?? [])]) callback();
  }
}

function decode(text: string): DataView {
  const binary = atob(text ?? "");
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new DataView(bytes.buffer);
}
