/**
 * One websocket to the session's live endpoint (`atoti/rest/v0/live`), shared by the app's widgets.
 *
 * Each widget subscribes to its cube with an empty query: the server then pushes a small message
 * after every commit to the cube's tables (coalesced, at most one per 0.1 s), and the widget re-runs
 * its own pivot query. With security on, a browser cannot send credentials on a websocket, so the
 * channel first asks for a single-use token over HTTP (`POST live/token`) and opens `live?token=...`.
 * When the socket cannot be opened at all (e.g. a proxy without websockets), subscribers are told to
 * fall back to polling; a socket that was open and dropped is reopened (with a new token), and every
 * subscriber refreshes once, as commits may have been missed meanwhile.
 */
import type { Api } from "./api";

interface Subscription {
  cube: string;
  onChange: () => void;
  onUnavailable: () => void;
}

const RECONNECT_MS = 1000;

export class LiveChannel {
  private socket: WebSocket | null = null;
  private opening: Promise<WebSocket | null> | null = null;
  private readonly subscriptions = new Map<string, Subscription>();
  private next = 0;
  private everOpened = false;
  private reconnectTimer: number | null = null;

  constructor(private readonly api: Api) {}

  /** Call `onChange` after each commit to `cube`'s tables; returns the unsubscribe function. */
  subscribe(cube: string, onChange: () => void, onUnavailable: () => void): () => void {
    const id = `w${++this.next}`;
    this.subscriptions.set(id, { cube, onChange, onUnavailable });
    void this.connect().then((socket) => {
      if (socket !== null && this.subscriptions.has(id)) this.sendSubscribe(socket, id);
    });
    return () => {
      if (!this.subscriptions.delete(id)) return;
      const socket = this.socket;
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "unsubscribe", id }));
      if (this.subscriptions.size === 0) this.close();
    };
  }

  close(): void {
    if (this.reconnectTimer !== null) window.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  private sendSubscribe(socket: WebSocket, id: string): void {
    const sub = this.subscriptions.get(id)!;
    socket.send(JSON.stringify({ type: "subscribe", id, cube: sub.cube, measures: [], levels: [], format: "json" }));
  }

  private connect(): Promise<WebSocket | null> {
    if (this.socket !== null) return Promise.resolve(this.socket);
    if (this.opening === null) {
      this.opening = this.open().finally(() => {
        this.opening = null;
      });
    }
    return this.opening;
  }

  private async open(): Promise<WebSocket | null> {
    let socket: WebSocket;
    try {
      socket = new WebSocket(await this.api.liveUrl());
    } catch {
      this.unavailable();
      return null;
    }
    const opened = await new Promise<boolean>((resolve) => {
      socket.addEventListener("open", () => resolve(true), { once: true });
      socket.addEventListener("error", () => resolve(false), { once: true });
      socket.addEventListener("close", () => resolve(false), { once: true });
    });
    if (!opened) {
      if (this.everOpened) this.scheduleReconnect();
      else this.unavailable();
      return null;
    }
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.socket = socket;
    socket.addEventListener("message", (event) => this.onMessage(event));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return; // closed on purpose
      this.socket = null;
      this.scheduleReconnect();
    });
    if (reconnected) {
      // Subscriptions made before the drop: subscribe again and catch up on missed commits.
      for (const id of this.subscriptions.keys()) this.sendSubscribe(socket, id);
      for (const sub of this.subscriptions.values()) sub.onChange();
    }
    return socket;
  }

  private onMessage(event: MessageEvent): void {
    if (typeof event.data !== "string") return; // results are asked for as JSON
    let message: any;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    const sub = this.subscriptions.get(message?.id);
    if (sub === undefined) return;
    if (message.type === "result" && message.seq > 0) sub.onChange();
    else if (message.type === "error") sub.onUnavailable();
  }

  private scheduleReconnect(): void {
    if (this.subscriptions.size === 0 || this.reconnectTimer !== null) return;
    this.reconnectTimer = window.setTimeout(() => {
      this.reconnectTimer = null;
      if (this.subscriptions.size > 0) void this.connect();
    }, RECONNECT_MS);
  }

  private unavailable(): void {
    for (const sub of this.subscriptions.values()) sub.onUnavailable();
  }
}
