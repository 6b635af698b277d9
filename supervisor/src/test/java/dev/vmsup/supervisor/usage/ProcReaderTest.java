package dev.vmsup.supervisor.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /proc parsing on a made-up /proc tree, and on this process's own. */
class ProcReaderTest {
    @TempDir
    Path proc;

    @Test
    void readsCpuTicksMemoryAndTheGuestRamMappingApart() throws IOException {
        Path p = Files.createDirectories(proc.resolve("42/task/43"));
        // comm with a space and a parenthesis; utime 150, stime 50 ticks
        String stat = "42 (qemu (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 4 0 1234 0 0";
        Files.writeString(p.getParent().getParent().resolve("stat"), stat);
        Files.writeString(p.resolve("stat"), stat.replace(" 150 50 ", " 30 10 "));
        Files.writeString(proc.resolve("42/smaps_rollup"), """
                00400000-7fff0000 ---p 00000000 00:00 0                          [rollup]
                Rss:              204800 kB
                Pss:              200000 kB
                Pss_Anon:          20000 kB
                Pss_File:          30000 kB
                Anonymous:         20480 kB
                """);
        Files.writeString(proc.resolve("42/smaps"), """
                7f1faffff000-7f1fb7fff000 rw-s 00000000 00:01 101                        /memfd:memory-backend-memfd (deleted)
                Size:             131072 kB
                Rss:              150000 kB
                Pss:              150000 kB
                7f1fb7fff000-7f1fb8000000 rw-p 00000000 00:00 0
                Size:                  4 kB
                Rss:                   4 kB
                Pss:                   4 kB
                55d0a0000000-55d0a8000000 r--p 00000000 08:01 77                         /usr/lib/big.so
                Size:             131072 kB
                Rss:                1000 kB
                Pss:                 500 kB
                """);
        ProcReader r = new ProcReader(proc);
        assertThat(r.processCpuMicros(42)).isEqualTo(200 * 10_000L);
        assertThat(r.threadCpuMicros(42, 43)).isEqualTo(40 * 10_000L);
        assertThat(r.threads(42)).containsExactly(43L);
        ProcessMemory m = r.memory(42, 128L * 1024 * 1024);
        assertThat(m).isEqualTo(new ProcessMemory(204800L * 1024, 200000L * 1024, 20480L * 1024, 30000L * 1024,
                150000L * 1024, 150000L * 1024));
        assertThat(m.overheadPss()).as("a file mapping of the guest's size is not the guest's RAM")
                .isEqualTo(50000L * 1024);
        assertThat(r.memory(42, 0).guestPss()).isZero();
        assertThat(r.memory(99, 0)).as("a process that is gone").isEqualTo(ProcessMemory.NONE);
        assertThat(r.processCpuMicros(99)).isZero();
    }

    @Test
    void aProcessWithItsDescendants() throws IOException {
        Files.createDirectories(proc.resolve("10/task/10"));
        Files.createDirectories(proc.resolve("10/task/11"));
        Files.writeString(proc.resolve("10/task/10/children"), "20 ");
        Files.writeString(proc.resolve("10/task/11/children"), "");
        Files.createDirectories(proc.resolve("20/task/20"));
        Files.writeString(proc.resolve("20/task/20/children"), "30 31");
        assertThat(new ProcReader(proc).withDescendants(10)).containsExactly(10L, 20L, 30L, 31L);
    }

    @Test
    void thisProcessReadsAsAJvmDoes() {
        ProcReader r = new ProcReader(Path.of("/proc"));
        long self = ProcessHandle.current().pid();
        ProcessMemory m = r.memory(self, 0);
        assertThat(m.rss()).isGreaterThan(10L << 20);
        assertThat(m.anon()).isPositive().isLessThanOrEqualTo(m.rss());
        assertThat(r.threads(self)).hasSizeGreaterThan(3);
        assertThat(r.processCpuMicros(self)).isPositive();
    }
}
