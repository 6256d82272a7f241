// The guest side of TensorBoard's plugin message protocol.
//
// TensorBoard 2.21 listens on its own window for the string
// "experimental.bootstrap" sent with one end of a MessageChannel; after that,
// both sides exchange JSON strings {type, id, payload, error, isReply} on the
// port. Each message that is not a reply gets a reply with the same type and
// id. TensorBoard's guest library is not shipped in its wheel, so this module
// implements the protocol.
//
// The page must also work without a host: opened directly (window.parent is
// the window itself), or framed by a page that is not TensorBoard. The
// bootstrap message goes only to a parent of the same origin, because
// TensorBoard serves plugin_entry.html itself. Requests time out instead of
// waiting forever.

export const BOOTSTRAP_MESSAGE = "experimental.bootstrap";

export const MessageType = Object.freeze({
  GET_URL_DATA: "experimental.GetURLPluginData",
  DATA_RELOADED: "experimental.DataReloaded",
  RUNS_CHANGED: "experimental.RunsChanged",
  GET_RUNS: "experimental.GetRuns",
});

export const DEFAULT_TIMEOUT_MS = 2000;

/** A request to the host that got no reply in time. */
export class HostTimeoutError extends Error {
  constructor(type, timeoutMs) {
    super(`no reply to ${type} from the TensorBoard host within ${timeoutMs} ms`);
    this.name = "HostTimeoutError";
  }
}

/**
 * One end of the message channel to the TensorBoard host.
 *
 * @example
 *   const host = HostChannel.connect(window);
 *   if (host) host.listen(MessageType.DATA_RELOADED, () => reload());
 */
export class HostChannel {
  /**
   * @param {MessagePort} port the guest's end of the channel.
   */
  constructor(port) {
    this.port = port;
    this.nextId = 0;
    this.pending = new Map();
    this.listeners = new Map();
    this.onMessage = (event) => {
      this.handleMessage(event.data);
    };
    port.addEventListener("message", this.onMessage);
    port.start();
  }

  /**
   * Open a channel to the host window, if there is one.
   *
   * @param {Window} win the plugin's window (`globalThis` in tests: any object
   *     with `parent` and `location.origin`).
   * @returns {HostChannel|null} null when the window has no parent, its parent is
   *     itself or of another origin, or posting to it failed.
   */
  static connect(win) {
    let parent;
    try {
      parent = win.parent;
      // TensorBoard serves the plugin's frame from its own origin, so a parent of
      // another origin (reading its location throws) is not TensorBoard. Posting
      // to it would only log a target-origin mismatch in the console.
      if (!parent || parent === win || parent.location.origin !== win.location.origin) {
        return null;
      }
    } catch {
      return null;
    }
    if (typeof parent.postMessage !== "function") {
      return null;
    }
    const channel = new MessageChannel();
    try {
      // Only a same-origin parent receives the port: TensorBoard serves the
      // plugin's frame itself, and a foreign page has no business with it.
      parent.postMessage(BOOTSTRAP_MESSAGE, win.location.origin, [channel.port2]);
    } catch {
      channel.port1.close();
      return null;
    }
    return new HostChannel(channel.port1);
  }

  /**
   * Register the handler of one message type; its return value (or promise) is the reply.
   *
   * @param {string} type
   * @param {function(unknown): unknown} handler
   */
  listen(type, handler) {
    this.listeners.set(type, handler);
  }

  /**
   * Send a request to the host and wait for its reply.
   *
   * @param {string} type
   * @param {unknown} [payload=null]
   * @param {{timeoutMs?: number}} [options]
   * @returns {Promise<unknown>} the reply's payload.
   * @throws {HostTimeoutError} (as a rejection) when no reply arrives in time.
   * @throws {Error} (as a rejection) with the host's error when the reply carries one.
   */
  sendMessage(type, payload = null, options = {}) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HostTimeoutError(type, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.post({ type, id, payload, error: null, isReply: false });
    });
  }

  /** Close the port and reject the requests still waiting. */
  close() {
    this.port.removeEventListener("message", this.onMessage);
    this.port.close();
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error(`the channel to the host was closed before reply ${id}`));
    }
    this.pending.clear();
  }

  post(message) {
    this.port.postMessage(JSON.stringify(message));
  }

  async handleMessage(data) {
    let message;
    try {
      message = typeof data === "string" ? JSON.parse(data) : null;
    } catch {
      message = null;
    }
    if (!message || typeof message !== "object" || typeof message.type !== "string") {
      return;
    }

    if (message.isReply) {
      const waiter = this.pending.get(message.id);
      if (!waiter) {
        return;
      }
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      if (message.error) {
        waiter.reject(new Error(String(message.error)));
      } else {
        waiter.resolve(message.payload ?? null);
      }
      return;
    }

    let payload = null;
    let error = null;
    const handler = this.listeners.get(message.type);
    if (handler) {
      try {
        payload = (await handler(message.payload)) ?? null;
      } catch (caught) {
        error = String(caught && caught.message ? caught.message : caught);
      }
    }
    this.post({ type: message.type, id: message.id, payload, error, isReply: true });
  }
}
