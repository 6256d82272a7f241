import assert from "node:assert/strict";
import { test } from "node:test";

import { BOOTSTRAP_MESSAGE, HostChannel, HostTimeoutError, MessageType } from "../host.js";

// A stand-in for TensorBoard's host side, written from its 2.21 bundle. It
// takes ports[0] of the bootstrap message, replies to requests with
// {type, id, payload, error, isReply: true}, and can send its own requests.
class FakeHost {
  constructor() {
    this.location = { origin: "http://127.0.0.1:6006" };
    this.posted = [];
    this.port = null;
    this.listeners = new Map();
    this.waiting = new Map();
    this.nextId = 0;
    this.received = [];
  }

  postMessage(data, targetOrigin, transfer) {
    this.posted.push({ data, targetOrigin });
    if (data !== BOOTSTRAP_MESSAGE || !transfer || !transfer[0]) {
      return;
    }
    this.port = transfer[0];
    this.port.addEventListener("message", (event) => this.onMessage(event.data));
    this.port.start();
  }

  async onMessage(data) {
    const message = JSON.parse(data);
    this.received.push(message);
    if (message.isReply) {
      const resolve = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      resolve(message);
      return;
    }
    let payload = null;
    let error = null;
    const listener = this.listeners.get(message.type);
    if (listener) {
      try {
        payload = await listener(message.payload);
      } catch (caught) {
        error = caught.message;
      }
    }
    this.port.postMessage(
      JSON.stringify({ type: message.type, id: message.id, payload, error, isReply: true }),
    );
  }

  send(type, payload) {
    const id = this.nextId++;
    const reply = new Promise((resolve) => this.waiting.set(id, resolve));
    this.port.postMessage(JSON.stringify({ type, id, payload, error: null, isReply: false }));
    return reply;
  }

  close() {
    if (this.port) {
      this.port.close();
    }
  }
}

function guestWindow(parent) {
  return { parent, location: { origin: "http://127.0.0.1:6006" } };
}

test("connect posts the bootstrap string with a port to the same origin only", () => {
  const host = new FakeHost();
  const channel = HostChannel.connect(guestWindow(host));
  try {
    assert.ok(channel);
    assert.equal(host.posted.length, 1);
    assert.equal(host.posted[0].data, "experimental.bootstrap");
    assert.equal(host.posted[0].targetOrigin, "http://127.0.0.1:6006");
    assert.ok(host.port);
  } finally {
    channel.close();
    host.close();
  }
});

test("GetURLPluginData request gets the host's reply", async () => {
  const host = new FakeHost();
  host.listeners.set(MessageType.GET_URL_DATA, (payload) => {
    assert.deepEqual(payload, { pluginName: "lr_finder" });
    return { runs: '["a","b"]' };
  });
  const channel = HostChannel.connect(guestWindow(host));
  try {
    const reply = await channel.sendMessage(MessageType.GET_URL_DATA, { pluginName: "lr_finder" });
    assert.deepEqual(reply, { runs: '["a","b"]' });
    const request = host.received[0];
    assert.equal(request.type, "experimental.GetURLPluginData");
    assert.equal(request.isReply, false);
    assert.equal(request.error, null);
    assert.equal(typeof request.id, "number");
  } finally {
    channel.close();
    host.close();
  }
});

test("a request without a listener on the host resolves to null", async () => {
  const host = new FakeHost();
  const channel = HostChannel.connect(guestWindow(host));
  try {
    assert.equal(await channel.sendMessage(MessageType.GET_RUNS), null);
  } finally {
    channel.close();
    host.close();
  }
});

test("an error reply rejects the request", async () => {
  const host = new FakeHost();
  host.listeners.set("custom", () => {
    throw new Error("boom");
  });
  const channel = HostChannel.connect(guestWindow(host));
  try {
    await assert.rejects(channel.sendMessage("custom"), /boom/);
  } finally {
    channel.close();
    host.close();
  }
});

test("DataReloaded from the host reaches the listener and gets a reply", async () => {
  const host = new FakeHost();
  const channel = HostChannel.connect(guestWindow(host));
  let reloads = 0;
  channel.listen(MessageType.DATA_RELOADED, () => {
    reloads += 1;
  });
  try {
    const reply = await host.send(MessageType.DATA_RELOADED, undefined);
    assert.equal(reloads, 1);
    assert.equal(reply.isReply, true);
    assert.equal(reply.type, "experimental.DataReloaded");
    assert.equal(reply.payload, null);
    assert.equal(reply.error, null);
  } finally {
    channel.close();
    host.close();
  }
});

test("a message type without a listener is still answered", async () => {
  const host = new FakeHost();
  const channel = HostChannel.connect(guestWindow(host));
  try {
    const reply = await host.send(MessageType.RUNS_CHANGED, ["a", "b"]);
    assert.equal(reply.isReply, true);
    assert.equal(reply.payload, null);
  } finally {
    channel.close();
    host.close();
  }
});

test("a failing listener sends its error back", async () => {
  const host = new FakeHost();
  const channel = HostChannel.connect(guestWindow(host));
  channel.listen("experimental.Custom", async () => {
    throw new Error("no such thing");
  });
  try {
    const reply = await host.send("experimental.Custom", null);
    assert.equal(reply.error, "no such thing");
  } finally {
    channel.close();
    host.close();
  }
});

test("malformed messages are ignored", async () => {
  const host = new FakeHost();
  const channel = HostChannel.connect(guestWindow(host));
  try {
    host.port.postMessage("not json");
    host.port.postMessage(JSON.stringify([1, 2]));
    host.port.postMessage(JSON.stringify({ isReply: true, id: 99, type: "x" }));
    // The channel still works afterwards.
    host.listeners.set("ping", () => "pong");
    assert.equal(await channel.sendMessage("ping"), "pong");
  } finally {
    channel.close();
    host.close();
  }
});

test("a host that never answers times out", async () => {
  const silent = {
    location: { origin: "http://127.0.0.1:6006" },
    port: null,
    postMessage(data, origin, transfer) {
      this.port = transfer[0];
    },
  };
  const channel = HostChannel.connect(guestWindow(silent));
  try {
    await assert.rejects(
      channel.sendMessage(MessageType.GET_URL_DATA, null, { timeoutMs: 20 }),
      HostTimeoutError,
    );
    assert.equal(channel.pending.size, 0);
  } finally {
    channel.close();
    silent.port.close();
  }
});

test("close rejects requests still waiting", async () => {
  const silent = {
    location: { origin: "http://127.0.0.1:6006" },
    port: null,
    postMessage(data, origin, transfer) {
      this.port = transfer[0];
    },
  };
  const channel = HostChannel.connect(guestWindow(silent));
  const request = channel.sendMessage("x", null, { timeoutMs: 10000 });
  channel.close();
  silent.port.close();
  await assert.rejects(request, /closed/);
});

test("connect returns null without a usable parent", () => {
  const alone = { location: { origin: "http://x" } };
  alone.parent = alone;
  assert.equal(HostChannel.connect(alone), null);
  assert.equal(HostChannel.connect({ parent: null, location: { origin: "http://x" } }), null);

  const foreign = {
    location: { origin: "http://x" },
    get parent() {
      throw new Error("SecurityError");
    },
  };
  assert.equal(HostChannel.connect(foreign), null);

  const refusing = {
    parent: {
      location: { origin: "http://x" },
      postMessage() {
        throw new Error("DataCloneError");
      },
    },
    location: { origin: "http://x" },
  };
  assert.equal(HostChannel.connect(refusing), null);

  // A parent of another origin: reading its location throws in a browser.
  const crossOrigin = {
    parent: {
      get location() {
        throw new Error("SecurityError: Blocked a frame from accessing a cross-origin frame");
      },
      postMessage() {
        throw new Error("must not be called");
      },
    },
    location: { origin: "http://x" },
  };
  assert.equal(HostChannel.connect(crossOrigin), null);
  const otherOrigin = {
    parent: { location: { origin: "http://y" }, postMessage() {} },
    location: { origin: "http://x" },
  };
  assert.equal(HostChannel.connect(otherOrigin), null);
});
