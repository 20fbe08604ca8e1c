// Drives the official socket.io JavaScript client against a MagicTask API instance.
// Usage: node check_client.mjs URL TOKEN PROJECT_ID
// Prints one JSON line per step ({"step": "joined", ...}, {"step": "event", ...}) and exits 0 once a
// task.created event arrives; exits 3 on a refused connection, 2 on a timeout.
import { io } from "socket.io-client";

const [url, token, projectId] = process.argv.slice(2);
const say = (obj) => console.log(JSON.stringify(obj));
const timer = setTimeout(() => {
  say({ step: "timeout" });
  process.exit(2);
}, 15000);

// Default transports: long-polling first, then the upgrade to WebSocket, as browsers do.
const socket = io(url, { auth: { token }, reconnection: false, timeout: 5000 });

socket.on("connect_error", (err) => {
  say({ step: "connect_error", message: err.message });
  process.exit(3);
});

socket.once("resync", async (data) => {
  const ack = await socket.timeout(5000).emitWithAck("join", { project_id: projectId });
  say({ step: "joined", resync: data, ack });
});

socket.on("task.created", (data) => {
  say({ step: "event", event: "task.created", transport: socket.io.engine.transport.name, data });
  clearTimeout(timer);
  socket.disconnect();
  process.exit(0);
});
