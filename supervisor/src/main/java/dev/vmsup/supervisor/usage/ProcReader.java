package dev.vmsup.supervisor.usage;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CPU time and memory of processes and threads from {@code /proc} (the root injected, as everywhere). A process
 * or thread that is gone reads as zero. CPU time comes from {@code stat}'s utime + stime, in the kernel's USER_HZ
 * ticks (100 per second on Linux): a process's own figure includes its threads that have exited.
 */
public final class ProcReader {
    /** USER_HZ: the unit of utime and stime in /proc, fixed at 100 by the kernel's ABI on Linux. */
    static final long MICROS_PER_TICK = 10_000;
    private final Path procRoot;
    private final GuestRamScan guestRamScan = new GuestRamScan(16 * 1024);

    public ProcReader(Path procRoot) {
        this.procRoot = procRoot;
    }

    /** CPU time of a whole process (all threads, living and exited), in microseconds. */
    public long processCpuMicros(long pid) {
        return cpuMicros(procRoot.resolve(pid + "/stat"));
    }

    /** CPU time of one thread of {@code pid}, in microseconds. */
    public long threadCpuMicros(long pid, long tid) {
        return cpuMicros(procRoot.resolve(pid + "/task/" + tid + "/stat"));
    }

    /** The thread ids of {@code pid} now (empty when it is gone). */
    public List<Long> threads(long pid) {
        List<Long> tids = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(procRoot.resolve(pid + "/task"))) {
            for (Path p : dir) {
                tids.add(Long.parseLong(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
        return tids;
    }

    /**
     * {@code pid} and its descendants, parents first (from {@code /proc/<pid>/task/<tid>/children}): the C virtiofsd
     * forks a child into its sandbox that does the work while the process vmsup started waits for it.
     */
    public List<Long> withDescendants(long pid) {
        List<Long> all = new ArrayList<>(List.of(pid));
        for (int i = 0; i < all.size() && all.size() < 64; i++) {
            for (long tid : threads(all.get(i))) {
                try {
                    for (String child : Files.readString(procRoot.resolve(all.get(i) + "/task/" + tid + "/children"))
                            .trim().split("\\s+")) {
                        if (!child.isEmpty()) {
                            all.add(Long.parseLong(child));
                        }
                    }
                } catch (IOException | NumberFormatException e) {
                    // the thread or process is gone
                }
            }
        }
        return all;
    }

    static long cpuMicros(Path stat) {
        try {
            String s = Files.readString(stat);
            // fields after the command name, which may contain spaces and parentheses
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * MICROS_PER_TICK;
        } catch (IOException | RuntimeException e) {
            return 0; // gone (NoSuchFileException), or not a stat line
        }
    }

    /**
     * Memory of {@code pid}: totals from {@code smaps_rollup}; with {@code guestRamBytes} above 0, the mappings of
     * exactly that size that are the guest's RAM (an anonymous or memfd mapping) are summed apart from {@code smaps}.
     */
    public ProcessMemory memory(long pid, long guestRamBytes) {
        long[] totals = new long[4]; // Rss, Pss, Anonymous, Pss_File
        String[] keys = {"Rss:", "Pss:", "Anonymous:", "Pss_File:"};
        try (BufferedReader in = Files.newBufferedReader(procRoot.resolve(pid + "/smaps_rollup"), StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                for (int i = 0; i < keys.length; i++) {
                    if (line.startsWith(keys[i])) {
                        totals[i] = kib(line);
                    }
                }
            }
        } catch (IOException e) {
            return ProcessMemory.NONE;
        }
        long[] guest = guestRamBytes > 0 ? guestRam(pid, guestRamBytes) : new long[2];
        return new ProcessMemory(totals[0], totals[1], totals[2], totals[3], guest[0], guest[1]);
    }

    /** Rss and Pss of the guest RAM mappings of {@code pid}. */
    private long[] guestRam(long pid, long guestRamBytes) {
        synchronized (guestRamScan) {
            return guestRamScan.of(procRoot.resolve(pid + "/smaps"), guestRamBytes);
        }
    }

    private static long kib(String line) {
        int colon = line.indexOf(':');
        String v = line.substring(colon + 1).trim();
        int space = v.indexOf(' ');
        return Long.parseLong(space < 0 ? v : v.substring(0, space)) * 1024;
    }
}
