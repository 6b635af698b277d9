package dev.vmsup.libc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bound calls against the real kernel: results, errno per thread, and arguments refused before any call. */
class LibCTest {
    private static final int ENOENT = 2;
    private static final int EEXIST = 17;
    private static final int EINVAL = 22;
    private static final int SIGWINCH = 28; // the JVM leaves it alone: safe to change in a test

    @TempDir
    Path dir;

    private static byte[] c(Path p) {
        return LibC.cString(p.toString(), StandardCharsets.UTF_8);
    }

    @Test
    void mkdirAndRmdirReportTheKernelsErrno() {
        Path d = dir.resolve("d");
        assertThat(LibC.mkdir(c(d), 0700)).isZero();
        assertThat(Files.isDirectory(d)).isTrue();
        assertThat(LibC.mkdir(c(d), 0700)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(EEXIST);
        assertThat(LibC.rmdir(c(d))).isZero();
        assertThat(LibC.rmdir(c(d))).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(ENOENT);
    }

    @Test
    void writesWhatItIsGivenAndTruncates() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "old content that is longer");
        int fd = LibC.open(c(f), LibC.O_WRONLY | LibC.O_TRUNC | LibC.O_CLOEXEC, 0);
        assertThat(fd).isGreaterThan(2);
        try {
            byte[] b = "xx12345yy".getBytes(StandardCharsets.US_ASCII);
            assertThat(LibC.write(fd, b, 2, 5)).isEqualTo(5);
        } finally {
            assertThat(LibC.close(fd)).isZero();
        }
        assertThat(Files.readString(f)).isEqualTo("12345");
        assertThat(LibC.close(fd)).isEqualTo(-1);
    }

    @Test
    void openOfAMissingFileFailsWithEnoent() {
        assertThat(LibC.open(c(dir.resolve("none/x")), LibC.O_WRONLY, 0)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(ENOENT);
    }

    @Test
    void errnoIsPerThread() throws Exception {
        Path d = dir.resolve("e");
        assertThat(LibC.mkdir(c(d), 0700)).isZero();
        AtomicInteger other = new AtomicInteger();
        assertThat(LibC.mkdir(c(d), 0700)).isEqualTo(-1); // EEXIST here
        Thread t = new Thread(() -> {
            LibC.rmdir(c(dir.resolve("missing")));
            other.set(LibC.errno());
        });
        t.start();
        t.join(10_000);
        assertThat(other.get()).isEqualTo(ENOENT);
        assertThat(LibC.errno()).isEqualTo(EEXIST);
    }

    @Test
    void fcntlSetsCloseOnExec() throws Exception {
        Path f = Files.createFile(dir.resolve("g"));
        int fd = LibC.open(c(f), LibC.O_WRONLY, 0);
        try {
            assertThat(flags(fd) & LibC.O_CLOEXEC).isZero();
            assertThat(LibC.fcntl(fd, LibC.F_SETFD, LibC.FD_CLOEXEC)).isZero();
            assertThat(flags(fd) & LibC.O_CLOEXEC).isEqualTo(LibC.O_CLOEXEC);
        } finally {
            LibC.close(fd);
        }
    }

    /** The open flags /proc shows for one of this process's descriptors (octal). */
    private static int flags(int fd) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                return Integer.parseInt(line.substring(6).strip(), 8);
            }
        }
        throw new AssertionError("no flags for fd " + fd);
    }

    @Test
    void umaskReturnsThePreviousMask() {
        int before = LibC.umask(077);
        try {
            assertThat(LibC.umask(027)).isEqualTo(077);
        } finally {
            LibC.umask(before);
        }
    }

    @Test
    void sigmaskBlocksForTheCallingThreadAndReturnsTheOldSet() throws Exception {
        byte[] winch = LibC.sigset(SIGWINCH);
        byte[] old = new byte[LibC.SIGSET_BYTES];
        assertThat(LibC.pthreadSigmask(LibC.SIG_BLOCK, winch, old)).isZero();
        try {
            assertThat(old[(SIGWINCH - 1) / 8] & (1 << ((SIGWINCH - 1) % 8))).isZero();
            assertThat(threadStatusMask("SigBlk") & (1L << (SIGWINCH - 1))).isNotZero();
        } finally {
            assertThat(LibC.pthreadSigmask(LibC.SIG_UNBLOCK, winch, null)).isZero();
        }
        assertThat(threadStatusMask("SigBlk") & (1L << (SIGWINCH - 1))).isZero();
        assertThat(LibC.pthreadSigmask(99, winch, null)).isEqualTo(EINVAL); // returned, not in errno
    }

    @Test
    void signalInstallsIgnoreAndDefault() throws Exception {
        assertThat(LibC.signal(SIGWINCH, LibC.SIG_IGN)).isEqualTo(LibC.SIG_DFL);
        try {
            assertThat(threadStatusMask("SigIgn") & (1L << (SIGWINCH - 1))).isNotZero();
        } finally {
            assertThat(LibC.signal(SIGWINCH, LibC.SIG_DFL)).isEqualTo(LibC.SIG_IGN);
        }
        assertThat(LibC.signal(0, LibC.SIG_DFL)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(EINVAL);
        assertThatThrownBy(() -> LibC.signal(SIGWINCH, 0x1234)).isInstanceOf(IllegalArgumentException.class);
    }

    private static long threadStatusMask(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseUnsignedLong(line.substring(field.length() + 1).strip(), 16);
            }
        }
        throw new AssertionError("no " + field);
    }

    @Test
    void execveOfAMissingFileReturnsWithEnoent() {
        byte[] missing = c(dir.resolve("no-such-program"));
        byte[][] argv = {missing, LibC.cString("--flag", StandardCharsets.UTF_8)};
        byte[][] envp = {LibC.cString("A=b", StandardCharsets.UTF_8)};
        assertThat(LibC.execve(missing, argv, envp)).isEqualTo(-1);
        assertThat(LibC.errno()).isEqualTo(ENOENT);
    }

    @Test
    void refusesArgumentsThatAreNotWhatCTakes() {
        byte[] noNul = dir.toString().getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> LibC.mkdir(noNul, 0700)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> LibC.execve(c(dir), new byte[][] {noNul}, new byte[0][]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LibC.write(1, new byte[4], 2, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> LibC.write(1, new byte[4], 2, Integer.MAX_VALUE))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> LibC.pthreadSigmask(LibC.SIG_BLOCK, new byte[8], null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("128");
        assertThatThrownBy(() -> LibC.sigset(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.exists(Path.of(new String(noNul, StandardCharsets.UTF_8)))).isTrue(); // untouched
    }
}
