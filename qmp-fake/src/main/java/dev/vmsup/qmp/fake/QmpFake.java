package dev.vmsup.qmp.fake;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A scriptable QMP server on a unix socket, in the spirit of OkHttp's MockWebServer: it greets like QEMU,
 * refuses commands before {@code qmp_capabilities}, answers from stubs (or a built-in CPU hotplug model), records
 * every request, and injects events and faults on demand. Unstubbed commands answer {@code CommandNotFound}.
 * One client connection at a time; a new connection replaces the old one.
 */
public final class QmpFake implements AutoCloseable {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path socketPath;
    private final ServerSocketChannel server;
    private final ScheduledExecutorService replies;
    private final List<Stub> stubs = new CopyOnWriteArrayList<>();
    private final List<RecordedRequest> recorded = new CopyOnWriteArrayList<>();
    private final BlockingQueue<RecordedRequest> unread = new LinkedBlockingQueue<>();
    private volatile ObjectNode greeting = defaultGreeting();
    private volatile Connection current;
    private volatile CpuHotplugModel cpus;
    private volatile int connections;

    private QmpFake(Path socketPath) throws IOException {
        this.socketPath = socketPath;
        Files.deleteIfExists(socketPath);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        this.server.bind(UnixDomainSocketAddress.of(socketPath));
        this.replies = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "qmp-fake-replies"));
        daemon(this::acceptLoop, "qmp-fake-accept").start();
    }

    /** Listens on {@code socketPath} (replacing a stale socket file there). */
    public static QmpFake start(Path socketPath) {
        try {
            return new QmpFake(socketPath);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + socketPath, e);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    static JsonNode json(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + text, e);
        }
    }

    static ObjectNode event(String name, JsonNode data) {
        ObjectNode e = MAPPER.createObjectNode();
        e.put("event", name);
        if (data != null) {
            e.set("data", data);
        }
        long now = System.currentTimeMillis();
        e.putObject("timestamp").put("seconds", now / 1000).put("microseconds", (now % 1000) * 1000);
        return e;
    }

    private static ObjectNode defaultGreeting() {
        return (ObjectNode) json("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7},"
                + " \"package\": \"qmp-fake\"}, \"capabilities\": [\"oob\"]}}");
    }

    public Path socket() {
        return socketPath;
    }

    /** Replaces the greeting sent to the next connection (the whole {@code {"QMP": ...}} object as JSON). */
    public QmpFake greeting(String json) {
        this.greeting = (ObjectNode) json(json);
        return this;
    }

    /** Starts stubbing {@code command}; configure the returned stub. */
    public Stub stub(String command) {
        Stub s = new Stub(command);
        stubs.add(0, s);
        return s;
    }

    /** Installs the built-in CPU hotplug model: {@code present} of {@code max} CPUs, thread ids from the test. */
    public CpuHotplugModel cpus(int present, int max, IntUnaryOperator threadIdOfIndex) {
        CpuHotplugModel model = new CpuHotplugModel(present, max, threadIdOfIndex);
        this.cpus = model;
        return model;
    }

    /** Every request received so far, in order. */
    public List<RecordedRequest> requests() {
        return List.copyOf(recorded);
    }

    /** The next request not yet taken, waiting up to {@code timeout}; null if none came. */
    public RecordedRequest takeRequest(Duration timeout) throws InterruptedException {
        return unread.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How many times {@code command} was received. */
    public int count(String command) {
        return (int) recorded.stream().filter(r -> r.command().equals(command)).count();
    }

    /** Throws {@link AssertionError} unless {@code command} was received exactly {@code times} times. */
    public void verify(String command, int times) {
        int actual = count(command);
        if (actual != times) {
            throw new AssertionError("expected " + command + " " + times + " time(s) but got " + actual + "; requests: "
                    + recorded.stream().map(RecordedRequest::command).toList());
        }
    }

    /** How many client connections were accepted. */
    public int connectionCount() {
        return connections;
    }

    /** Emits an event now (data as JSON, or null for none). */
    public void emit(String event, String dataJson) {
        send(event(event, dataJson == null ? null : json(dataJson)));
    }

    /** Writes {@code text} exactly as given (no newline added): malformed lines, partial lines, anything. */
    public void sendRaw(String text) {
        Connection c = requireConnection();
        c.write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends a line that is not JSON. */
    public void sendMalformedLine() {
        sendRaw("{\"return\": {]]\n");
    }

    /** Sends one syntactically valid line of about {@code bytes} bytes. */
    public void sendOversizedLine(int bytes) {
        sendRaw("{\"event\": \"BIG\", \"data\": {\"pad\": \"" + "x".repeat(Math.max(0, bytes)) + "\"}}\n");
    }

    /** Sends the start of a line, then closes the connection. */
    public void sendPartialLineThenClose() {
        sendRaw("{\"return\": {\"status\": \"runn");
        closeConnection();
    }

    /** Sends a well-formed reply whose id matches no request. */
    public void sendReplyWithUnknownId() {
        sendRaw("{\"return\": {}, \"id\": \"no-such-request\"}\n");
    }

    /** Closes the current client connection (the listener stays open). */
    public void closeConnection() {
        Connection c = current;
        if (c != null) {
            c.close();
        }
    }

    /** Waits until a client has connected (and been greeted). */
    public void awaitConnection(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (current == null && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        requireConnection();
    }

    private Connection requireConnection() {
        Connection c = current;
        if (c == null) {
            throw new IllegalStateException("no client is connected to the QMP fake");
        }
        return c;
    }

    private void send(ObjectNode message) {
        requireConnection().writeMessage(message);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                Connection old = current;
                if (old != null) {
                    old.close();
                }
                Connection c = new Connection(ch);
                connections++;
                c.writeMessage(greeting);
                current = c;
                daemon(c::readLoop, "qmp-fake-conn").start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Connection c, String line) {
        JsonNode msg;
        try {
            msg = MAPPER.readTree(line);
        } catch (IOException e) {
            c.writeMessage(error(null, "GenericError", "JSON parse error, " + e.getMessage()));
            return;
        }
        boolean oob = msg.has("exec-oob");
        String command = msg.path(oob ? "exec-oob" : "execute").asText("");
        JsonNode args = msg.has("arguments") ? msg.get("arguments") : MAPPER.createObjectNode();
        JsonNode id = msg.get("id");
        RecordedRequest request = new RecordedRequest(command, args, id, oob);
        recorded.add(request);
        unread.add(request);

        if (!c.negotiated) {
            if (command.equals("qmp_capabilities")) {
                c.negotiated = true;
                c.writeMessage(ok(id, MAPPER.createObjectNode()));
            } else {
                c.writeMessage(error(id, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"));
            }
            return;
        }
        for (Stub s : stubs) {
            if (s.claim(command, args)) {
                replies.schedule(() -> answer(c, s, id), s.delay.toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
        }
        CpuHotplugModel model = cpus;
        CpuHotplugModel.Reply reply = model == null ? null : model.handle(command, args);
        if (reply != null) {
            replies.execute(() -> {
                c.writeMessage(reply.errorClass() == null ? ok(id, reply.value()) : error(id, reply.errorClass(), reply.desc()));
                reply.events().forEach(c::writeMessage);
            });
            return;
        }
        if (command.equals("qmp_capabilities")) {
            c.writeMessage(error(id, "CommandNotFound", "Capabilities negotiation is already complete, command ignored"));
            return;
        }
        c.writeMessage(error(id, "CommandNotFound", "The command " + command + " has not been found"));
    }

    private void answer(Connection c, Stub s, JsonNode id) {
        JsonNode replyId = s.replyIdOverride != null ? MAPPER.getNodeFactory().textNode(s.replyIdOverride) : id;
        if (!s.silent) {
            c.writeMessage(s.errorClass != null ? error(replyId, s.errorClass, s.errorDesc) : ok(replyId, s.returnValue));
        }
        for (ObjectNode e : s.eventsAfter) {
            c.writeMessage(e);
        }
        if (s.closeAfter) {
            c.close();
        }
    }

    private static ObjectNode ok(JsonNode id, JsonNode value) {
        ObjectNode r = MAPPER.createObjectNode();
        r.set("return", value);
        if (id != null) {
            r.set("id", id);
        }
        return r;
    }

    private static ObjectNode error(JsonNode id, String cls, String desc) {
        ObjectNode r = MAPPER.createObjectNode();
        r.putObject("error").put("class", cls).put("desc", desc);
        if (id != null) {
            r.set("id", id);
        }
        return r;
    }

    @Override
    public void close() {
        closeConnection();
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        replies.shutdownNow();
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException ignored) {
            // best effort
        }
    }

    /**
     * One client connection: a reader thread and synchronized line writes, straight on the channel (the
     * stream adapters of a channel would make a blocked read hold up every write).
     */
    private final class Connection {
        private final SocketChannel channel;
        volatile boolean negotiated;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        void readLoop() {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            try {
                while (channel.read(buffer) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        byte b = buffer.get();
                        if (b == '\n') {
                            String text = line.toString(StandardCharsets.UTF_8);
                            line.reset();
                            if (!text.isBlank()) {
                                handle(this, text);
                            }
                        } else {
                            line.write(b);
                        }
                    }
                    buffer.clear();
                }
            } catch (IOException ignored) {
                // connection ended
            } finally {
                close();
                if (current == this) {
                    current = null;
                }
            }
        }

        void writeMessage(JsonNode message) {
            try {
                byte[] json = MAPPER.writeValueAsBytes(message);
                byte[] line = new byte[json.length + 2];
                System.arraycopy(json, 0, line, 0, json.length);
                line[json.length] = '\r';
                line[json.length + 1] = '\n';
                write(line);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        synchronized void write(byte[] bytes) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            try {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException ignored) {
                // the client went away; its side sees the close
            }
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    /** A readable list of recorded commands, for assertion messages. */
    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        recorded.forEach(r -> names.add(r.command()));
        return "QmpFake" + names;
    }
}
