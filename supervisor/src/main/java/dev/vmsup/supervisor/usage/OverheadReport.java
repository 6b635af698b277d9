package dev.vmsup.supervisor.usage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The pod overhead of one sandbox over a window of samples, and the {@code RuntimeClass.overhead.podFixed} it
 * recommends. Pure: the model is here and in the README.
 *
 * <ul>
 *   <li>Memory overhead: the PSS of vmsup, virtiofsd and QEMU outside the guest's RAM (current, max, p95).</li>
 *   <li>Guest base: the guest's configured RAM above the containers' memory limits (a runtime sizes the VM at its
 *       base memory plus the limits; the base is not in any container's limit).</li>
 *   <li>CPU overhead: the CPU of every thread that is not a vCPU (vmsup, virtiofsd, QEMU's other threads, the VM's
 *       kernel threads), in millicores, per sampling interval (at least 2 s).</li>
 *   <li>Recommendation: memory = (max memory overhead + guest base) x (1 + margin), rounded up to a MiB (a pod over
 *       its memory limit is killed, so the peak counts); cpu = p95 of the CPU overhead x (1 + margin), rounded up to
 *       a millicore, at least 1m (a pod over its CPU is only throttled, so a rare peak does not).</li>
 * </ul>
 */
public record OverheadReport(long windowMillis, int samples, Map<String, Figure> memoryBytes, Figure guestRamResident,
        long guestMemoryBytes, long containerLimitsBytes, long guestBaseBytes, Map<String, Figure> cpuMillicores,
        int marginPercent, long recommendedMemoryBytes, long recommendedCpuMillicores) {
    private static final long MIB = 1024 * 1024;
    /** The shortest step a CPU rate is taken over. */
    static final long MIN_RATE_MILLIS = 2000;

    /** Of {@code samples} (oldest first, at least one) of the sandbox {@code s} names. */
    public static OverheadReport of(List<UsageSample> samples, Subjects s, int marginPercent) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no sample");
        }
        if (marginPercent < 0 || marginPercent > 1000) {
            throw new IllegalArgumentException("margin " + marginPercent + "% is outside 0..1000");
        }
        Map<String, Figure> memory = new LinkedHashMap<>();
        for (String p : UsageSample.PROCESSES) {
            memory.put(p, figure(samples, x -> x.memory().get(p).overheadPss()));
        }
        memory.put("total", figure(samples, UsageSample::overheadMemoryBytes));
        Figure guestRam = figure(samples, x -> x.memory().get("qemu").guestRss());

        Map<String, Figure> cpu = new LinkedHashMap<>();
        for (String g : UsageSample.CPU_GROUPS) {
            cpu.put(g, rate(samples, x -> x.cpuMicros().get(g)));
        }
        cpu.put("total", rate(samples, UsageSample::overheadCpuMicros));

        long base = Math.max(0, s.guestMemoryBytes() - s.containerLimitsBytes());
        long memoryNeed = memory.get("total").max() + base;
        long recMemory = ceilDiv(ceilDiv(memoryNeed * (100 + marginPercent), 100), MIB) * MIB;
        long recCpu = Math.max(1, ceilDiv(cpu.get("total").p95() * (100 + marginPercent), 100));
        long window = samples.get(samples.size() - 1).atMillis() - samples.get(0).atMillis();
        return new OverheadReport(window, samples.size(), memory, guestRam, s.guestMemoryBytes(),
                s.containerLimitsBytes(), base, cpu, marginPercent, recMemory, recCpu);
    }

    private static Figure figure(List<UsageSample> samples, ToLongFunction<UsageSample> value) {
        List<Long> values = new ArrayList<>();
        for (UsageSample x : samples) {
            values.add(value.applyAsLong(x));
        }
        return Figure.of(values);
    }

    /**
     * Millicores between samples (CPU microseconds per wall millisecond), over steps of at least
     * {@link #MIN_RATE_MILLIS}: CPU time moves in 10 ms ticks, so a shorter step (the sample a request adds right
     * after a periodic one) would turn one tick into a whole core.
     */
    private static Figure rate(List<UsageSample> samples, ToLongFunction<UsageSample> cpuMicros) {
        List<Long> rates = new ArrayList<>();
        int from = 0;
        for (int i = 1; i < samples.size(); i++) {
            long dt = samples.get(i).atMillis() - samples.get(from).atMillis();
            if (dt >= MIN_RATE_MILLIS) {
                long used = cpuMicros.applyAsLong(samples.get(i)) - cpuMicros.applyAsLong(samples.get(from));
                rates.add(Math.max(0, used) / dt);
                from = i;
            }
        }
        return Figure.of(rates);
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    /** Kubernetes' quantity for the memory recommendation, in Mi. */
    public String memoryQuantity() {
        return (recommendedMemoryBytes / MIB) + "Mi";
    }

    /** Kubernetes' quantity for the CPU recommendation, in millicores. */
    public String cpuQuantity() {
        return recommendedCpuMillicores + "m";
    }

    /** The RuntimeClass to apply, with the basis of its numbers as comments. */
    public String runtimeClassYaml(String name) {
        return "# vmsup's recommendation from " + samples + " samples over " + (windowMillis / 1000) + " s, margin "
                + marginPercent + "%\n"
                + "# memory: max overhead " + mib(memoryBytes.get("total").max()) + " + guest base "
                + mib(guestBaseBytes) + "; cpu: p95 of non-vCPU CPU " + cpuMillicores.get("total").p95() + "m\n"
                + "apiVersion: node.k8s.io/v1\n"
                + "kind: RuntimeClass\n"
                + "metadata:\n"
                + "  name: " + name + "\n"
                + "handler: " + name + "\n"
                + "overhead:\n"
                + "  podFixed:\n"
                + "    cpu: \"" + cpuQuantity() + "\"\n"
                + "    memory: \"" + memoryQuantity() + "\"\n";
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1fMi", bytes / (double) MIB);
    }
}
