package dev.vmsup.supervisor.ctl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client over a unix socket for {@code vmsup ctl}: one request per connection
 * ({@code Connection: close}), a body of known length. Kept dependency-free so the CLI starts fast.
 */
public final class UnixHttpClient {
    /** A reply: status code and body text. */
    public record Response(int status, String body) {
    }

    /** The socket could not be reached (missing, refused, or permission denied). */
    public static final class UnreachableException extends IOException {
        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Path socket;

    public UnixHttpClient(Path socket) {
        this.socket = socket;
    }

    public Response send(String method, String path, String body) throws IOException {
        byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + (body == null ? "" : "Content-Type: application/json\r\n")
                + "Content-Length: " + payload.length + "\r\n\r\n";
        try (SocketChannel ch = connect()) {
            ByteBuffer out = ByteBuffer.allocate(head.length() + payload.length);
            out.put(head.getBytes(StandardCharsets.US_ASCII)).put(payload).flip();
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            while (ch.read(buf) >= 0) {
                buf.flip();
                in.write(buf.array(), 0, buf.limit());
                buf.clear();
            }
            return parse(in.toByteArray());
        }
    }

    private SocketChannel connect() throws UnreachableException {
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
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
        for (String line : text.substring(0, headEnd).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("transfer-encoding: chunked")) {
                body = dechunk(body);
            }
        }
        return new Response(status, body);
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
