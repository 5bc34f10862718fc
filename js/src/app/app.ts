/**
 * The session's web app (served at `/`): dashboards of pivots, stored in the session's user content.
 *
 * Routes (in the URL's hash, so `session.link / "#/dashboard/1"` opens a dashboard):
 *   `#/`               the dashboards and cubes of the session
 *   `#/dashboard/{id}` one dashboard: several pivot widgets, each the notebook widget's `PivotView`
 * A login form comes first when the session has security on.
 */
import type { AnyModel } from "@anywidget/types";
import { EMPTY_STATE } from "../grid/state";
import type { PivotState } from "../grid/state";
import { PivotView } from "../widgets/pivot";
import type { PivotTraits } from "../widgets/pivot";
import { Api, ApiError } from "./api";
import { LiveChannel } from "./live";
import { HttpPivotModel } from "./model";
import "./app.css";

interface WidgetSpec {
  title: string;
  state: PivotState;
}

interface Item<T> {
  id: number;
  name: string;
  data: T;
  owner?: string | null;
}

type Dashboard = Item<{ widgets?: WidgetSpec[] }>;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

class App {
  private readonly api: Api;
  private readonly live: LiveChannel;
  private readonly header: HTMLElement;
  private readonly main: HTMLElement;
  private cleanup: (() => void)[] = [];
  private user: string | null = null;
  private roles: string[] = [];

  constructor(root: HTMLElement) {
    this.api = Api.forPage(window.location);
    this.live = new LiveChannel(this.api);
    this.header = h("header", { class: "atl-app-header" });
    this.main = h("main", { class: "atl-app-main" });
    root.append(this.header, this.main);
    window.addEventListener("hashchange", () => void this.route());
  }

  async start(): Promise<void> {
    try {
      const me = await this.api.json("me");
      this.user = me.user;
      this.roles = me.roles ?? [];
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return this.showLogin();
      return this.fail(error);
    }
    this.renderHeader();
    await this.route();
  }

  private fail(error: unknown): void {
    this.main.replaceChildren(h("div", { class: "atl-app-error", role: "alert" }, String((error as Error).message ?? error)));
  }

  private renderHeader(): void {
    const home = h("a", { href: "#/", class: "atl-app-brand" }, "atoti_lab");
    const spacer = h("div", { class: "atl-spacer-flex" });
    const parts: (Node | string)[] = [home, spacer];
    if (this.user) {
      const logout = h("button", { type: "button", class: "atl-button", id: "atl-logout" }, "Log out");
      logout.addEventListener("click", () => {
        this.api.logout();
        window.location.reload();
      });
      parts.push(h("span", { class: "atl-app-user" }, this.user), logout);
    }
    this.header.replaceChildren(...parts);
  }

  private showLogin(message = ""): void {
    const user = h("input", { id: "atl-login-user", name: "username", autocomplete: "username", required: "" });
    const password = h("input", {
      id: "atl-login-password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: "",
    });
    const error = h("div", { class: "atl-app-error", role: "alert" }, message);
    error.hidden = !message;
    const form = h(
      "form",
      { class: "atl-login" },
      h("h1", {}, "Log in"),
      h("label", {}, "User name", user),
      h("label", {}, "Password", password),
      error,
      h("button", { type: "submit", class: "atl-button atl-primary", id: "atl-login-submit" }, "Log in"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      this.api.login(user.value, password.value);
      try {
        const me = await this.api.json("me");
        this.user = me.user;
        this.roles = me.roles ?? [];
      } catch (e) {
        this.api.logout();
        error.textContent = e instanceof ApiError && e.status === 401 ? "Wrong user name or password." : String(e);
        error.hidden = false;
        return;
      }
      this.renderHeader();
      await this.route();
    });
    this.header.replaceChildren(h("span", { class: "atl-app-brand" }, "atoti_lab"));
    this.main.replaceChildren(form);
    user.focus();
  }

  private disposeViews(): void {
    for (const dispose of this.cleanup) dispose();
    this.cleanup = [];
  }

  async route(): Promise<void> {
    if (this.api.credentials === null && this.user === null && this.header.childElementCount <= 1) return;
    this.disposeViews();
    const match = /^#\/dashboard\/(\d+)/.exec(window.location.hash);
    try {
      if (match) await this.showDashboard(Number(match[1]));
      else await this.showHome();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return this.showLogin("Please log in again.");
      this.fail(error);
    }
  }

  private async showHome(): Promise<void> {
    const [dashboards, cubes] = (await Promise.all([this.api.json("dashboards"), this.api.json("cubes")])) as [
      Dashboard[],
      { name: string }[],
    ];
    const create = h("button", { type: "button", class: "atl-button atl-primary", id: "atl-new-dashboard" }, "New dashboard");
    create.addEventListener("click", async () => {
      const widgets = cubes.length ? [{ title: "", state: { ...EMPTY_STATE, cube: cubes[0].name } }] : [];
      const item = await this.api.json("dashboards", { method: "POST", body: { name: "Untitled dashboard", data: { widgets } } });
      window.location.hash = `#/dashboard/${item.id}`;
    });
    const list = h("ul", { class: "atl-dashboard-list" });
    for (const d of dashboards) {
      list.append(h("li", {}, h("a", { href: `#/dashboard/${d.id}`, class: "atl-dashboard-link" }, d.name)));
    }
    if (!dashboards.length) list.append(h("li", { class: "atl-empty" }, "No dashboard yet."));
    this.main.replaceChildren(
      h("section", { class: "atl-home" }, h("h1", {}, "Dashboards"), create, list,
        h("h2", {}, "Cubes"), h("p", {}, cubes.length ? cubes.map((c) => c.name).join(", ") : "The session has no cube yet.")),
    );
  }

  private async showDashboard(id: number): Promise<void> {
    const [dashboard, cubes, saved] = (await Promise.all([
      this.api.json(`dashboards/${id}`),
      this.api.json("cubes"),
      this.api.json("widgets"),
    ])) as [Dashboard, { name: string }[], Item<WidgetSpec>[]];
    const models: HttpPivotModel[] = [];
    const specs: WidgetSpec[] = [...(dashboard.data?.widgets ?? [])];
    const status = h("span", { class: "atl-status", id: "atl-dashboard-status" });
    const markDirty = () => (status.textContent = "Unsaved changes");

    const name = h("input", { id: "atl-dashboard-name", value: dashboard.name, "aria-label": "Dashboard name" });
    name.addEventListener("input", markDirty);
    const cubeSelect = h("select", { id: "atl-widget-cube", "aria-label": "Cube of the new widget" });
    for (const c of cubes) cubeSelect.append(h("option", { value: c.name }, c.name));
    const add = h("button", { type: "button", class: "atl-button", id: "atl-add-widget" }, "Add widget");
    const savedSelect = h("select", { id: "atl-saved-widget", "aria-label": "Saved widget" });
    for (const w of saved) savedSelect.append(h("option", { value: String(w.id) }, w.name));
    const addSaved = h("button", { type: "button", class: "atl-button", id: "atl-add-saved-widget" }, "Add saved widget");
    addSaved.disabled = saved.length === 0;
    const save = h("button", { type: "button", class: "atl-button atl-primary", id: "atl-save-dashboard" }, "Save");
    const remove = h("button", { type: "button", class: "atl-button", id: "atl-delete-dashboard" }, "Delete");
    const grid = h("div", { class: "atl-dashboard-grid" });

    const addWidget = (spec: WidgetSpec) => {
      const index = models.length;
      const model = new HttpPivotModel(this.api, spec.state, spec.title, markDirty, this.live);
      models.push(model);
      const card = h("div", { class: "atl-card" });
      const tools = h("div", { class: "atl-card-tools" });
      const keep = h("button", { type: "button", class: "atl-button atl-save-widget", title: "Save this widget" }, "Save widget");
      keep.addEventListener("click", async () => {
        const widgetName = window.prompt("Name of the saved widget", spec.title || "Widget") ?? "";
        if (!widgetName.trim()) return;
        await this.api.json("widgets", { method: "POST", body: { name: widgetName, data: { title: widgetName, state: model.get("state") } } });
        status.textContent = `Saved widget "${widgetName}"`;
      });
      const close = h("button", { type: "button", class: "atl-button atl-remove-widget", title: "Remove from the dashboard" }, "\u00d7");
      close.addEventListener("click", () => {
        card.remove();
        models[index] = null as unknown as HttpPivotModel;
        model.dispose();
        markDirty();
      });
      tools.append(keep, close);
      const body = h("div", { class: "atoti-lab atl-card-body" });
      card.append(tools, body);
      grid.append(card);
      const view = new PivotView(model as unknown as AnyModel<PivotTraits>, body);
      this.cleanup.push(() => {
        view.destroy();
        model.dispose();
      });
      void model.load();
    };

    add.addEventListener("click", () => {
      addWidget({ title: "", state: { ...EMPTY_STATE, cube: cubeSelect.value } });
      markDirty();
    });
    addSaved.addEventListener("click", () => {
      const item = saved.find((w) => String(w.id) === savedSelect.value);
      if (item) {
        addWidget({ title: item.data.title ?? item.name, state: item.data.state });
        markDirty();
      }
    });
    save.addEventListener("click", async () => {
      const widgets = models.filter(Boolean).map((m) => ({ title: m.get("title") as string, state: m.get("state") as PivotState }));
      try {
        await this.api.json(`dashboards/${id}`, { method: "PUT", body: { name: name.value || "Untitled dashboard", data: { widgets } } });
        status.textContent = "Saved";
      } catch (error) {
        // e.g. 403: the dashboard belongs to another user (only its owner or an admin may change it).
        status.textContent = String((error as Error).message ?? error);
      }
    });
    remove.addEventListener("click", async () => {
      if (!window.confirm(`Delete the dashboard "${name.value}"?`)) return;
      try {
        await this.api.json(`dashboards/${id}`, { method: "DELETE" });
        window.location.hash = "#/";
      } catch (error) {
        status.textContent = String((error as Error).message ?? error);
      }
    });

    // Only its owner (or an admin) may change a dashboard: the server enforces it, the page says it.
    const owner = dashboard.owner ?? null;
    if (owner !== null && this.user !== null && owner !== this.user && !this.roles.includes("ROLE_ADMIN")) {
      save.disabled = true;
      remove.disabled = true;
      save.title = remove.title = "Only the dashboard's owner or an administrator can change it";
      status.textContent = "Read-only: this dashboard belongs to another user";
    }
    const toolbar = h("div", { class: "atl-dashboard-toolbar" }, name, cubeSelect, add, savedSelect, addSaved, h("div", { class: "atl-spacer-flex" }), status, save, remove);
    this.main.replaceChildren(h("section", { class: "atl-dashboard" }, toolbar, grid));
    for (const spec of specs) addWidget(spec);
  }
}

const root = document.getElementById("atl-app");
if (root) void new App(root).start();
