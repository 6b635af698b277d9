package dev.vmsup.supervisor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vmsup.cgroupfs.Prerequisites;
import dev.vmsup.supervisor.ctl.CtlCommand;
import dev.vmsup.supervisor.testing.InProcessCli;
import dev.vmsup.supervisor.testing.TestFiles;

/**
 * {@code vmsup ctl} against servers that are not what they seem (issue 18): one that never answers, one that
 * answers without end, one run by another user in the sandbox socket's place; and {@code vmsup run} given
 * overflowing container quotas. Real unix sockets, a real unprivileged user.
 */
class CtlHardeningTest {
    @TempDir
    Path tmp;

    /** Accepts one connection on {@code socket} and hands it to {@code answer} (on a daemon thread). */
    private static ServerSocketChannel serve(Path socket, ConnectionHandler answer) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            try (SocketChannel c = server.accept()) {
                answer.handle(c);
            } catch (IOException | InterruptedException ignored) {
                // the client went away
            }
        });
        t.setDaemon(true);
        t.start();
        return server;
    }

    private interface ConnectionHandler {
        void handle(SocketChannel c) throws IOException, InterruptedException;
    }

    @Test
    void aServerThatNeverAnswersMeetsTheDeadline() throws Exception {
        Path sock = tmp.resolve("silent.sock");
        try (ServerSocketChannel server = serve(sock, c -> Thread.sleep(30_000))) {
            long start = System.nanoTime();
            InProcessCli r = InProcessCli.run("ctl", "--api-socket", sock.toString(), "--timeout", "1", "status");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            assertThat(r.code()).isEqualTo(CtlCommand.UNREACHABLE);
            assertThat(r.err()).contains("no reply", "within 1 s");
        }
    }

    @Test
    void aReplyWithoutEndIsCutOffAtTheCap() throws Exception {
        Path sock = tmp.resolve("flood.sock");
        try (ServerSocketChannel server = serve(sock, c -> {
            c.write(ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer junk = ByteBuffer.allocate(64 * 1024);
            for (int i = 0; i < 256 && c.isOpen(); i++) {
                junk.clear();
                c.write(junk);
            }
        })) {
            InProcessCli r = InProcessCli.run("ctl", "--api-socket", sock.toString(), "status");
            assertThat(r.code()).isEqualTo(CtlCommand.UNREACHABLE);
            assertThat(r.err()).contains("larger than");
        }
    }

    @Test
    void aSocketServedByAnotherUserIsNotVmsups() throws Exception {
        Prerequisites.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv (util-linux)");
        Path base = Files.createTempDirectory("vmsup-ctl-adversary");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path sock = base.resolve("api.sock");
        Path source = Files.writeString(base.resolve("Liar.java"), """
                import java.net.*; import java.nio.*; import java.nio.channels.*; import java.nio.file.*;
                public class Liar {
                    public static void main(String[] a) throws Exception {
                        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                        s.bind(UnixDomainSocketAddress.of(Path.of(a[0])));
                        Files.setPosixFilePermissions(Path.of(a[0]), java.nio.file.attribute.PosixFilePermissions
                                .fromString("rwxrwxrwx"));
                        while (true) {
                            try (SocketChannel c = s.accept()) {
                                c.write(ByteBuffer.wrap("HTTP/1.1 202 Accepted\\r\\nContent-Length: 21\\r\\n\\r\\n{\\"state\\":\\"stopping\\"}"
                                        .getBytes()));
                            }
                        }
                    }
                }
                """);
        // readable by nobody whatever umask this JVM has (an in-process vmsup run sets 077)
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
        Process liar = new ProcessBuilder("/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                "--", Path.of(System.getProperty("java.home"), "bin", "java").toString(), source.toString(),
                sock.toString()).redirectErrorStream(true).redirectOutput(base.resolve("liar.log").toFile()).start();
        try {
            Awaitility.await("the impostor listens").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(sock) || !liar.isAlive());
            assertThat(sock).as("impostor: %s", Files.readString(base.resolve("liar.log"))).exists();
            InProcessCli r = InProcessCli.run("ctl", "--api-socket", sock.toString(), "shutdown");
            assertThat(r.code()).as(r.out()).isEqualTo(CtlCommand.UNREACHABLE);
            assertThat(r.err()).contains("served by user nobody");
            assertThat(r.out()).doesNotContain("stopping");
        } finally {
            liar.destroyForcibly();
            liar.waitFor(10, TimeUnit.SECONDS);
            TestFiles.deleteTree(base);
        }
    }

    @Test
    void overflowingContainerQuotasAreAUsageErrorNamingTheField() throws Exception {
        Path containers = Files.writeString(tmp.resolve("c.json"),
                "{\"a\": {\"cpu\": {\"quota\": 9223372036854775807, \"period\": 1000}},"
                        + " \"b\": {\"cpu\": {\"quota\": 9223372036854775807, \"period\": 1000}}}");
        Path state = tmp.resolve("state");
        InProcessCli r = InProcessCli.run(List.of("run", "--id", "ovf", "--accel", "tcg", "--paused", "--serial", "none",
                "--cgroup-parent", "/vmsup-test-never-made", "--state-dir", state.toString(),
                "--containers", containers.toString()).toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("cpu.quota").doesNotContain("Overflow", "ArithmeticException");
        assertThat(state).as("nothing created").doesNotExist();
        assertThat(Path.of("/sys/fs/cgroup/cpu/vmsup-test-never-made")).doesNotExist();
    }
}
