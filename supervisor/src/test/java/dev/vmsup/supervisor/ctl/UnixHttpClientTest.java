package dev.vmsup.supervisor.ctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ctl client over a real unix socket, against a server that answers as scripted. */
class UnixHttpClientTest {
    @TempDir
    Path dir;

    @Test
    void aReplyIsCompleteAtItsContentLengthWithoutWaitingForTheServerToClose() throws Exception {
        CountDownLatch clientDone = new CountDownLatch(1);
        // the server closes only once the client has returned: a client that read until the close would time out
        try (Server server = new Server(dir.resolve("api.sock"),
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"count\":2}", clientDone)) {
            UnixHttpClient.Response r = new UnixHttpClient(server.path, Duration.ofSeconds(10))
                    .send("PUT", "/v1/sandbox/vcpus", "{\"count\": 2}");
            clientDone.countDown();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"count\":2}");
            assertThat(r.contentType()).isEqualTo("application/json");
            assertThat(server.request()).startsWith("PUT /v1/sandbox/vcpus HTTP/1.1\r\n").endsWith("{\"count\": 2}");
        }
    }

    @Test
    void aReplyWithoutALengthIsReadUntilTheServerCloses() throws Exception {
        try (Server server = new Server(dir.resolve("api.sock"), "HTTP/1.1 404 Not Found\r\n\r\nnot here", null)) {
            UnixHttpClient.Response r = new UnixHttpClient(server.path, Duration.ofSeconds(10)).send("GET", "/x", null);
            assertThat(r.status()).isEqualTo(404);
            assertThat(r.body()).isEqualTo("not here");
        }
    }

    @Test
    void bytesPastTheDeclaredLengthAreNotPartOfTheReply() throws Exception {
        try (Server server = new Server(dir.resolve("api.sock"), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", null)) {
            UnixHttpClient.Response r = new UnixHttpClient(server.path, Duration.ofSeconds(10)).send("GET", "/x", null);
            assertThat(r.body()).isEqualTo("ok");
        }
    }

    @Test
    void aReplyCutShortOfItsLengthIsAnError() throws Exception {
        try (Server server = new Server(dir.resolve("api.sock"), "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{\"cou", null)) {
            UnixHttpClient client = new UnixHttpClient(server.path, Duration.ofSeconds(10));
            assertThatThrownBy(() -> client.send("GET", "/v1/sandbox", null)).isInstanceOf(IOException.class)
                    .hasMessageContaining("ended after 44 of its 79 bytes");
        }
    }

    @Test
    void theLengthOfAWholeReplyComesFromItsHead() {
        assertThat(UnixHttpClient.replyLength(bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"))).isEqualTo(-1);
        assertThat(UnixHttpClient.replyLength(bytes("HTTP/1.1 200 OK\r\ncontent-length:  5\r\n\r\nab")))
                .isEqualTo(17 + 18 + 4 + 5);
        assertThat(UnixHttpClient.replyLength(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")))
                .isEqualTo(Long.MAX_VALUE);
        assertThat(UnixHttpClient.replyLength(bytes("HTTP/1.1 200 OK\r\n\r\n"))).isEqualTo(Long.MAX_VALUE);
        assertThat(UnixHttpClient.replyLength(bytes("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n")))
                .isEqualTo(Long.MAX_VALUE);
        assertThat(UnixHttpClient.replyLength(bytes("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n")))
                .isEqualTo(Long.MAX_VALUE);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Accepts one connection, reads the request, writes {@code reply}, then closes (after {@code holdOpen}, if any). */
    private static final class Server implements AutoCloseable {
        final Path path;
        private final ServerSocketChannel listener;
        private final CompletableFuture<String> request = new CompletableFuture<>();
        private final Thread thread;

        Server(Path path, String reply, CountDownLatch holdOpen) throws IOException {
            this.path = path;
            listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            listener.bind(UnixDomainSocketAddress.of(path));
            thread = new Thread(() -> serve(reply, holdOpen), "test-http-server");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve(String reply, CountDownLatch holdOpen) {
            try (SocketChannel ch = listener.accept()) {
                StringBuilder got = new StringBuilder();
                ByteBuffer buf = ByteBuffer.allocate(4096);
                while (!complete(got)) {
                    if (ch.read(buf) < 0) {
                        break;
                    }
                    got.append(new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
                    buf.clear();
                }
                request.complete(got.toString());
                ch.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.US_ASCII)));
                if (holdOpen != null) {
                    holdOpen.await(20, TimeUnit.SECONDS);
                }
            } catch (IOException | InterruptedException e) {
                request.completeExceptionally(e);
            }
        }

        /** Headers in, and the body of the Content-Length the client sent. */
        private static boolean complete(StringBuilder got) {
            int headEnd = got.indexOf("\r\n\r\n");
            if (headEnd < 0) {
                return false;
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)Content-Length: (\\d+)")
                    .matcher(got.substring(0, headEnd));
            return got.length() >= headEnd + 4 + (m.find() ? Integer.parseInt(m.group(1)) : 0);
        }

        String request() throws Exception {
            return request.get(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            listener.close();
            thread.join(TimeUnit.SECONDS.toMillis(20));
        }
    }
}
