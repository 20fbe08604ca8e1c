// Drives the official socket.io JavaScript client against a MagicTask API instance.
// Usage: node check_client.mjs URL TOKEN PROJECT_ID [TRANSPORTS]
// Prints one JSON line per step ({"step": "joined", ...}, {"step": "event", ...}) and exits 0 once a
// task.created event arrives; exits 3 on a refused connection, 2 on a timeout.
// TRANSPORTS (comma-separated) defaults to "websocket", as the web app connects: the server takes
// WebSocket only (docs/REALTIME.md). "polling,websocket" is the client's own default.
import { io } from "socket.io-client";

const [url, token, projectId, transports = "websocket"] = process.argv.slice(2);
const say = (obj) => console.log(JSON.stringify(obj));
const timer = setTimeout(() => {
  say({ step: "timeout" });
  process.exit(2);
}, 15000);

const socket = io(url, {
  auth: { token },
  transports: transports.split(","),
  reconnection: false,
  timeout: 5000,
});

socket.on("connect_error", (err) => {
  const refusal = { step: "connect_error", message: err.message };
  // A transport refused by HTTP status (not by the Socket.IO handshake) also carries the status and body.
  if (err.description !== undefined) refusal.status = err.description;
  if (err.context?.responseText !== undefined) refusal.body = err.context.responseText;
  say(refusal);
  process.exit(3);
});

socket.once("resync", async (data) => {
  const ack = await socket.timeout(5000).emitWithAck("join", { project_id: projectId });
  say({ step: "joined", resync: data, ack, transport: socket.io.engine.transport.name });
});

socket.on("task.created", (data) => {
  say({ step: "event", event: "task.created", transport: socket.io.engine.transport.name, data });
  clearTimeout(timer);
  socket.disconnect();
  process.exit(0);
});
