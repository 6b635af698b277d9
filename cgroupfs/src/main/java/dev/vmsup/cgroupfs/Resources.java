package dev.vmsup.cgroupfs;

/**
 * Limits to write on one cgroup. A null field is left as it is on disk; {@code -1} in
 * {@code memoryMaxBytes} or {@code pidsMax} means unlimited. Validated on construction.
 */
public record Resources(CpuMax cpuMax, Long cpuShares, CpuList cpus, CpuList mems, Long memoryMaxBytes,
        Long pidsMax) {
    public static final long MIN_SHARES = 2;
    public static final long MAX_SHARES = 262_144;
    public static final long UNLIMITED = -1;

    public static final Resources NONE = new Resources(null, null, null, null, null, null);

    public Resources {
        if (cpuShares != null && (cpuShares < MIN_SHARES || cpuShares > MAX_SHARES)) {
            throw new InvalidResourceException("cpu.shares", cpuShares, "must be " + MIN_SHARES + ".." + MAX_SHARES);
        }
        if (memoryMaxBytes != null && memoryMaxBytes != UNLIMITED && memoryMaxBytes <= 0) {
            throw new InvalidResourceException("memory.limit", memoryMaxBytes, "must be positive, or -1 for unlimited");
        }
        if (pidsMax != null && pidsMax != UNLIMITED && pidsMax <= 0) {
            throw new InvalidResourceException("pids.max", pidsMax, "must be positive, or -1 for unlimited");
        }
    }

    /**
     * cgroup v1 {@code cpu.shares} to v2 {@code cpu.weight} as runc (1.3.2+, opencontainers/cgroups) and
     * containerd/cgroups convert it since 2025: a quadratic in log2(shares) through 2 -> 1, 1024 -> 100 (the two
     * defaults) and 262144 -> 10000, rounded up. The linear map it replaced gave the default 1024 shares weight 39
     * where every other v2 workload on a node has 100.
     */
    public static long sharesToWeight(long shares) {
        if (shares < MIN_SHARES || shares > MAX_SHARES) {
            throw new InvalidResourceException("cpu.shares", shares, "must be " + MIN_SHARES + ".." + MAX_SHARES);
        }
        if (shares == MIN_SHARES) {
            return 1;
        }
        double l = log2(shares);
        double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
        return Math.min(10_000, (long) Math.ceil(Math.pow(10, exponent)));
    }

    /** log2 exact for powers of two (as Go's math.Log2, which the reference uses: frexp, then the fraction's log). */
    private static double log2(long x) {
        int e = Math.getExponent((double) x) + 1;
        double frac = x / Math.scalb(1.0, e); // in [0.5, 1)
        return frac == 0.5 ? e - 1 : Math.log(frac) * (1 / 0.693147180559945309417232121458176568) + e;
    }

    /** The linear conversion used before 2025 ({@code 1 + (shares - 2) * 9999 / 262142}); kept to show what changed. */
    public static long sharesToWeightLinear(long shares) {
        return 1 + ((shares - 2) * 9999) / 262_142;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link Resources} field by field; unset fields stay null (untouched). */
    public static final class Builder {
        private CpuMax cpuMax;
        private Long cpuShares;
        private CpuList cpus;
        private CpuList mems;
        private Long memoryMaxBytes;
        private Long pidsMax;

        public Builder cpuMax(CpuMax value) {
            cpuMax = value;
            return this;
        }

        public Builder cpuShares(long value) {
            cpuShares = value;
            return this;
        }

        public Builder cpus(CpuList value) {
            cpus = value;
            return this;
        }

        public Builder mems(CpuList value) {
            mems = value;
            return this;
        }

        public Builder memoryMaxBytes(long value) {
            memoryMaxBytes = value;
            return this;
        }

        public Builder pidsMax(long value) {
            pidsMax = value;
            return this;
        }

        public Resources build() {
            return new Resources(cpuMax, cpuShares, cpus, mems, memoryMaxBytes, pidsMax);
        }
    }
}
