package dev.vmsup.virtiofsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VirtiofsdTest {
    private static final Path C_VIRTIOFSD = Path.of("/usr/lib/qemu/virtiofsd");

    @TempDir
    Path tmp;

    private static void requireVirtiofsd() {
        boolean ok = Files.isExecutable(C_VIRTIOFSD) && "root".equals(System.getProperty("user.name"));
        if (!ok && "true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("prerequisite missing on this CI machine: root and " + C_VIRTIOFSD + " (qemu-system-common)");
        }
        Assumptions.assumeTrue(ok, "root and " + C_VIRTIOFSD);
    }

    @Test
    void flavourComesFromTheHelpText() {
        assertThat(Flavour.fromHelp("usage: virtiofsd [options]\n    -o source=PATH   shared directory tree\n"))
                .isEqualTo(Flavour.C);
        assertThat(Flavour.fromHelp("Usage: virtiofsd [OPTIONS] --socket-path <SOCKET_PATH>\n  --shared-dir <DIR>\n"))
                .isEqualTo(Flavour.RUST);
        assertThatThrownBy(() -> Flavour.fromHelp("cat: unknown option")).isInstanceOf(VirtiofsdException.class);
    }

    @Test
    void commandLinePerFlavour() {
        Path bin = Path.of("/x/virtiofsd");
        assertThat(VirtiofsdCommandLine.build(Flavour.C, bin, Path.of("/run/s.sock"), Path.of("/srv/share"), CacheMode.NEVER))
                .containsExactly("/x/virtiofsd", "--socket-path=/run/s.sock", "-o", "source=/srv/share", "-o", "cache=none");
        assertThat(VirtiofsdCommandLine.build(Flavour.RUST, bin, Path.of("/run/s.sock"), Path.of("/srv/a,b"), CacheMode.NEVER))
                .containsExactly("/x/virtiofsd", "--socket-path", "/run/s.sock", "--shared-dir", "/srv/a,b", "--cache", "never");
        assertThatThrownBy(() -> VirtiofsdCommandLine.build(Flavour.C, bin, Path.of("/s"), Path.of("/srv/a,b"), CacheMode.AUTO))
                .hasMessageContaining("comma");
    }

    @Test
    void listeningIsReadFromTheKernelsSocketTable() throws IOException {
        Path table = Files.writeString(tmp.resolve("unix"), """
                Num       RefCount Protocol Flags    Type St Inode Path
                0000000000000000: 00000002 00000000 00010000 0001 01 12345 /run/a.sock
                0000000000000000: 00000003 00000000 00000000 0001 03 12346 /run/b.sock
                """);
        assertThat(UnixSocketTable.listening(table, Path.of("/run/a.sock"))).isTrue();
        assertThat(UnixSocketTable.listening(table, Path.of("/run/b.sock"))).as("connected, not listening").isFalse();
        assertThat(UnixSocketTable.listening(table, Path.of("/run/c.sock"))).isFalse();
    }

    @Test
    void detectsTheDebianDaemonAsTheCFlavour() {
        requireVirtiofsd();
        assertThat(Virtiofsd.detect(C_VIRTIOFSD)).isEqualTo(Flavour.C);
        assertThatThrownBy(() -> Virtiofsd.detect(Path.of("/bin/true"))).isInstanceOf(VirtiofsdException.class);
    }

    @Test
    void startsListeningPrivatelyAndStopsLeavingNothing() throws Exception {
        requireVirtiofsd();
        Path share = Files.createDirectories(tmp.resolve("share"));
        Path socket = tmp.resolve("vfs.sock");
        CompletableFuture<String> died = new CompletableFuture<>();
        Virtiofsd v = Virtiofsd.start(C_VIRTIOFSD, share, socket, CacheMode.AUTO, died::complete);
        long pid = v.pid();
        try {
            assertThat(v.alive()).isTrue();
            assertThat(v.flavour()).isEqualTo(Flavour.C);
            assertThat(UnixSocketTable.listening(Path.of("/proc/net/unix"), socket)).isTrue();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        } finally {
            v.close();
        }
        assertThat(ProcessHandle.of(pid)).isEmpty();
        assertThat(socket).doesNotExist();
        Thread.sleep(100);
        assertThat(died).as("a requested stop is not reported as a death").isNotDone();
    }

    @Test
    void anUnexpectedExitIsReported() throws Exception {
        requireVirtiofsd();
        Path share = Files.createDirectories(tmp.resolve("share"));
        CompletableFuture<String> died = new CompletableFuture<>();
        try (Virtiofsd v = Virtiofsd.start(C_VIRTIOFSD, share, tmp.resolve("vfs.sock"), CacheMode.AUTO, died::complete)) {
            ProcessHandle.of(v.pid()).orElseThrow().destroyForcibly();
            assertThat(died.get(10, TimeUnit.SECONDS)).contains("virtiofsd (pid " + v.pid() + ") exited");
        }
    }

    @Test
    void badInputStartsNothing() throws IOException {
        Path notADir = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> Virtiofsd.start(C_VIRTIOFSD, notADir, tmp.resolve("s.sock"), CacheMode.AUTO, m -> { }))
                .hasMessageContaining("not a directory");
        Path taken = Files.writeString(tmp.resolve("taken.sock"), "");
        assertThatThrownBy(() -> Virtiofsd.start(C_VIRTIOFSD, tmp, taken, CacheMode.AUTO, m -> { }))
                .hasMessageContaining("already exists");
        assertThat(List.of(tmp.toFile().list())).containsExactlyInAnyOrder("file", "taken.sock");
    }
}
