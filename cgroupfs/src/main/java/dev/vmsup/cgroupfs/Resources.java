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

    /** cgroup v1 {@code cpu.shares} to v2 {@code cpu.weight}, the conversion runc and systemd use. */
    public static long sharesToWeight(long shares) {
        if (shares < MIN_SHARES || shares > MAX_SHARES) {
            throw new InvalidResourceException("cpu.shares", shares, "must be " + MIN_SHARES + ".." + MAX_SHARES);
        }
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
