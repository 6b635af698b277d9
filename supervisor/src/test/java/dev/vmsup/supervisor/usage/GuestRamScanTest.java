package dev.vmsup.supervisor.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The byte-level smaps scan, with buffers small enough that lines split across reads and outgrow the buffer. */
class GuestRamScanTest {
    private static final long GUEST = 128L * 1024 * 1024;
    private static final String SMAPS = """
            7f1faffff000-7f1fb7fff000 rw-s 00000000 00:01 101                        /memfd:memory-backend-memfd (deleted)
            Size:             131072 kB
            Rss:              150000 kB
            Pss:              140000 kB
            VmFlags: rd wr sh mr mw me ms sd
            7f1fb7fff000-7f1fb8000000 rw-p 00000000 00:00 0
            Rss:                   4 kB
            Pss:                   4 kB
            55d0a0000000-55d0a8000000 r--p 00000000 08:01 77                         /usr/lib/big.so
            Rss:                1000 kB
            Pss:                 500 kB
            7f0000000000-7f0008000000 rw-p 00000000 00:00 0
            Rss:                 200 kB
            Pss:                 100 kB
            ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
            Rss:                   0 kB
            Pss:                   0 kB""";

    @TempDir
    Path dir;

    @Test
    void sumsTheAnonymousAndMemfdMappingsOfTheGuestsSizeOnly() throws IOException {
        Path smaps = Files.writeString(dir.resolve("smaps"), SMAPS);
        long[] expected = {(150000L + 200) * 1024, (140000L + 100) * 1024};
        for (int buffer : new int[] {16, 64, 100, 16 * 1024}) {
            assertThat(new GuestRamScan(buffer).of(smaps, GUEST)).as("buffer of %d bytes", buffer)
                    .containsExactly(expected);
        }
        Files.writeString(smaps, SMAPS + "\n");
        assertThat(new GuestRamScan(32).of(smaps, GUEST)).as("with a final newline").containsExactly(expected);
    }

    @Test
    void oneScanServesManyReadsAndAGoneProcessReadsAsZero() throws IOException {
        Path smaps = Files.writeString(dir.resolve("smaps"), SMAPS);
        GuestRamScan scan = new GuestRamScan(64);
        assertThat(scan.of(smaps, GUEST)).containsExactly((150000L + 200) * 1024, (140000L + 100) * 1024);
        assertThat(scan.of(smaps, 4096)).as("a page-sized guest: the anonymous page, not [vsyscall]'s")
                .containsExactly(4L * 1024, 4L * 1024);
        assertThat(scan.of(dir.resolve("gone"), GUEST)).containsExactly(0L, 0L);
        assertThat(scan.of(smaps, GUEST)).containsExactly((150000L + 200) * 1024, (140000L + 100) * 1024);
    }
}
