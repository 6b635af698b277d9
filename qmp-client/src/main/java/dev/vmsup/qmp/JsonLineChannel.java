package dev.vmsup.qmp;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import dev.vmsup.json.JsonTrees;

/**
 * The generic layer under QMP: one JSON object per line over a stream socket. Knows nothing of QMP. A line
 * longer than the limit or one that is not a JSON object is a protocol error that closes the channel; the
 * close handler is called exactly once with the cause (a {@link QmpProtocolException}, or a
 * {@link QmpDisconnectedException} when the peer or the caller closed it).
 */
final class JsonLineChannel {
    private static final int INITIAL_BUFFER = 4096;
    private final NetSocket socket;
    /** The socket's event loop (the channel is made on it), or null outside one. */
    private final Context context;
    private final AtomicReference<QmpException> closeCause = new AtomicReference<>();
    private volatile Consumer<QmpException> onClose = cause -> { };
    private final int maxLineBytes;
    private final Consumer<ObjectNode> onMessage;
    /** Received, not yet consumed as lines: {@code pending[0, pendingLength)}, scanned up to {@code scanned}. */
    private byte[] pending = new byte[INITIAL_BUFFER];
    private int pendingLength;
    private int scanned;

    JsonLineChannel(NetSocket socket, int maxLineBytes, Consumer<ObjectNode> onMessage) {
        this.socket = socket;
        this.context = Vertx.currentContext();
        this.maxLineBytes = maxLineBytes;
        this.onMessage = onMessage;
        socket.handler(this::onBytes);
        socket.exceptionHandler(e -> fail(new QmpDisconnectedException("QMP socket error: " + e.getMessage(), e)));
        socket.closeHandler(v -> {
            closeCause.compareAndSet(null, new QmpDisconnectedException("QMP connection closed by the peer", null));
            onClose.accept(closeCause.get());
        });
    }

    /**
     * Splits the byte stream into lines; a line (or an unterminated tail) over the limit is a protocol error. The
     * bytes are scanned in an array of our own: through {@code Buffer.getByte} each byte cost a chain of calls,
     * which (interpreted until the JIT gets to it) made this scan a visible part of every QMP reply.
     */
    private void onBytes(Buffer chunk) {
        if (closeCause.get() != null) {
            return;
        }
        append(chunk);
        byte[] bytes = pending;
        int start = 0;
        for (int i = scanned; i < pendingLength; i++) {
            if (bytes[i] != '\n') {
                continue;
            }
            if (i - start > maxLineBytes) {
                break;
            }
            ObjectNode message = parse(bytes, start, i);
            if (closeCause.get() != null) {
                return;
            }
            if (message != null) {
                onMessage.accept(message);
            }
            start = i + 1;
        }
        if (start > 0) {
            System.arraycopy(bytes, start, bytes, 0, pendingLength - start);
            pendingLength -= start;
        }
        if (pendingLength == 0 && pending.length > 16 * INITIAL_BUFFER) {
            pending = new byte[INITIAL_BUFFER]; // one large reply does not keep its buffer for the channel's life
        }
        scanned = pendingLength;
        if (pendingLength > maxLineBytes) {
            fail(new QmpProtocolException("message line longer than " + maxLineBytes + " bytes"));
        }
    }

    private void append(Buffer chunk) {
        int n = chunk.length();
        if (pendingLength + n > pending.length) {
            pending = java.util.Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + n));
        }
        chunk.getBytes(0, n, pending, pendingLength);
        pendingLength += n;
    }

    void onClose(Consumer<QmpException> handler) {
        this.onClose = handler;
    }

    /** The message of the line {@code bytes[from, to)} (its trailing CR and blanks ignored), or null if empty. */
    private ObjectNode parse(byte[] bytes, int from, int to) {
        int end = to;
        while (end > from && (bytes[end - 1] == '\r' || bytes[end - 1] == ' ')) {
            end--;
        }
        if (end == from) {
            return null;
        }
        int len = end - from;
        try {
            JsonNode node = JsonTrees.read(bytes, from, len);
            if (node instanceof ObjectNode object) {
                return object;
            }
            fail(new QmpProtocolException("message is not a JSON object: " + preview(bytes, from, len)));
        } catch (IOException e) {
            fail(new QmpProtocolException("malformed JSON from peer: " + preview(bytes, from, len), e));
        }
        return null;
    }

    private static String preview(byte[] bytes, int from, int len) {
        String s = new String(bytes, from, Math.min(len, 120), java.nio.charset.StandardCharsets.UTF_8);
        return len > 120 ? s + "..." : s;
    }

    /** Writes one message as a line. */
    Future<Void> send(ObjectNode message) {
        QmpException cause = closeCause.get();
        if (cause != null) {
            return Future.failedFuture(new QmpDisconnectedException("QMP connection is closed", cause));
        }
        try {
            byte[] json = JsonTrees.writeBytes(message);
            Buffer buffer = Buffer.buffer(json.length + 1).appendBytes(json).appendByte((byte) '\n');
            if (context == null || Vertx.currentContext() == context) {
                return socket.write(buffer);
            }
            // written from the socket's own event loop: a write from another thread can race the socket's close
            Promise<Void> written = Promise.promise();
            context.runOnContext(v -> socket.write(buffer).onComplete(written));
            return written.future();
        } catch (IllegalArgumentException e) { // a tree holding a Java object that is no JSON value
            return Future.failedFuture(new QmpProtocolException("cannot encode message", e));
        }
    }

    /** Closes with {@code cause} unless already closed; the close handler then sees this cause. */
    void fail(QmpException cause) {
        if (closeCause.compareAndSet(null, cause)) {
            socket.close();
        }
    }

    boolean isClosed() {
        return closeCause.get() != null;
    }

    /** The cause the channel closed with, or null while open. */
    QmpException closeCause() {
        return closeCause.get();
    }
}
