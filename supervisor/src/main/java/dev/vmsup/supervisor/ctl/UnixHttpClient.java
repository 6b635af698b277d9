package dev.vmsup.supervisor.ctl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Timer;
import java.util.TimerTask;

import jdk.net.ExtendedSocketOptions;

/**
 * A minimal HTTP/1.1 client over a unix socket for {@code vmsup ctl}: one request per connection
 * ({@code Connection: close}), a body of known length, a deadline for the whole exchange and a cap on the reply's
 * size. It talks only to a server run by root or by its own user (SO_PEERCRED), so a socket someone else put in
 * the sandbox's place is refused. Kept dependency-free so the CLI starts fast.
 */
public final class UnixHttpClient {
    /** A reply: status code, body text and its Content-Type (or null). */
    public record Response(int status, String body, String contentType) {
    }

    /** The socket could not be reached (missing, refused, or permission denied). */
    public static final class UnreachableException extends IOException {
        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The largest reply accepted. */
    static final int MAX_REPLY = 4 << 20;
    private static final Timer DEADLINES = new Timer("vmsup-ctl-deadline", true);

    private final Path socket;
    private final Duration timeout;

    public UnixHttpClient(Path socket) {
        this(socket, Duration.ofSeconds(60));
    }

    /** @param timeout the most one request may take, connection to the reply's end */
    public UnixHttpClient(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    public Path socket() {
        return socket;
    }

    public Response send(String method, String path, String body) throws IOException {
        byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + (body == null ? "" : "Content-Type: application/json\r\n")
                + "Content-Length: " + payload.length + "\r\n\r\n";
        try (SocketChannel ch = connect()) {
            TimerTask expire = new TimerTask() {
                @Override
                public void run() {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // closing is all that is wanted
                    }
                }
            };
            DEADLINES.schedule(expire, timeout.toMillis());
            try {
                return exchange(ch, head, payload);
            } catch (AsynchronousCloseException e) {
                throw new IOException("no reply from " + socket + " within " + timeout.toSeconds() + " s");
            } finally {
                expire.cancel();
            }
        }
    }

    /**
     * {@code GET path} on a streaming route (newline-delimited JSON): calls {@code line} with each line as it
     * arrives, until the server ends the stream or {@code line} returns false. Only the connection and the reply's
     * status are bound by the deadline; the stream itself may last. Returns the status (non-200: nothing streamed).
     */
    public int stream(String path, java.util.function.Predicate<String> line) throws IOException {
        String head = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        try (SocketChannel ch = connect();
                var in = new java.io.BufferedInputStream(java.nio.channels.Channels.newInputStream(ch))) {
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            String status = readLine(in);
            if (status == null || !status.startsWith("HTTP/1.1 ")) {
                throw new IOException("not an HTTP reply from the API socket");
            }
            boolean chunked = false;
            for (String h = readLine(in); h != null && !h.isEmpty(); h = readLine(in)) {
                chunked |= h.toLowerCase(Locale.ROOT).startsWith("transfer-encoding: chunked");
            }
            int code = Integer.parseInt(status.substring(9, 12));
            if (code != 200) {
                return code;
            }
            StringBuilder partial = new StringBuilder();
            while (true) {
                byte[] data;
                if (chunked) {
                    String size = readLine(in);
                    if (size == null || (data = in.readNBytes(Integer.parseInt(size.strip(), 16))).length == 0) {
                        return code;
                    }
                    readLine(in); // the CRLF after a chunk
                } else {
                    data = in.readNBytes(1);
                    if (data.length == 0) {
                        return code;
                    }
                }
                partial.append(new String(data, StandardCharsets.UTF_8));
                for (int nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n")) {
                    if (!line.test(partial.substring(0, nl))) {
                        return code;
                    }
                    partial.delete(0, nl + 1);
                }
            }
        }
    }

    private static String readLine(java.io.InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c >= 0; c = in.read()) {
            if (c == '\n') {
                return sb.toString().stripTrailing();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    private Response exchange(SocketChannel ch, String head, byte[] payload) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(head.length() + payload.length);
        out.put(head.getBytes(StandardCharsets.US_ASCII)).put(payload).flip();
        while (out.hasRemaining()) {
            ch.write(out);
        }
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        long whole = -1; // the reply's length once its head has arrived and says so
        while (whole < 0 || in.size() < whole) {
            if (ch.read(buf) < 0) {
                if (whole >= 0 && whole != Long.MAX_VALUE) {
                    throw new IOException("reply from " + socket + " ended after " + in.size() + " of its " + whole
                            + " bytes");
                }
                break;
            }
            buf.flip();
            in.write(buf.array(), 0, buf.limit());
            buf.clear();
            if (in.size() > MAX_REPLY) {
                throw new IOException("reply from " + socket + " is larger than " + MAX_REPLY + " bytes");
            }
            if (whole < 0) {
                whole = replyLength(in.toByteArray());
            }
        }
        byte[] raw = in.toByteArray();
        // bytes past the declared length are not this reply's
        return parse(whole >= 0 && whole < raw.length ? Arrays.copyOf(raw, (int) whole) : raw);
    }

    /**
     * The length of a whole reply starting with {@code raw}, from its head: head plus Content-Length, so the exchange
     * ends when the body is in and not when the server gets round to closing; {@link Long#MAX_VALUE} (until the
     * server closes) for a chunked reply or one without a length; -1 while the head is incomplete.
     */
    static long replyLength(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            return -1;
        }
        long length = Long.MAX_VALUE;
        for (String line : text.substring(0, headEnd).split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("transfer-encoding:")) {
                return Long.MAX_VALUE;
            }
            if (lower.startsWith("content-length:")) {
                String value = line.substring("content-length:".length()).strip();
                if (value.isEmpty() || value.length() > 9 || !value.chars().allMatch(Character::isDigit)) {
                    return Long.MAX_VALUE; // not a length this client trusts: read until the server closes
                }
                length = headEnd + 4 + Long.parseLong(value);
            }
        }
        return length;
    }

    private SocketChannel connect() throws UnreachableException {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                String server = ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
                if (!server.equals("root") && !server.equals(System.getProperty("user.name"))) {
                    throw new IOException("it is served by user " + server + ", neither root nor you: not vmsup's");
                }
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return ch;
        } catch (IOException e) {
            throw new UnreachableException("cannot reach the API socket " + socket + ": " + e.getMessage(), e);
        }
    }

    static Response parse(byte[] raw) throws IOException {
        String text = new String(raw, StandardCharsets.UTF_8);
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || headEnd < 0) {
            throw new IOException("not an HTTP reply from the API socket");
        }
        int status = Integer.parseInt(text.substring(9, 12));
        String body = text.substring(headEnd + 4);
        String contentType = null;
        for (String line : text.substring(0, headEnd).split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("transfer-encoding: chunked")) {
                body = dechunk(body);
            } else if (lower.startsWith("content-type:")) {
                contentType = line.substring("content-type:".length()).strip();
            }
        }
        return new Response(status, body, contentType);
    }

    private static String dechunk(String body) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < body.length()) {
            int eol = body.indexOf("\r\n", i);
            int size = Integer.parseInt(body.substring(i, eol).strip(), 16);
            if (size == 0) {
                break;
            }
            out.append(body, eol + 2, eol + 2 + size);
            i = eol + 2 + size + 2;
        }
        return out.toString();
    }
}
