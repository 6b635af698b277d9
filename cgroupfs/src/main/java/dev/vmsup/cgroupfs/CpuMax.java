package dev.vmsup.cgroupfs;

/**
 * A CFS bandwidth limit: {@code quotaUs} of CPU time per {@code periodUs}; quota {@link #UNLIMITED}
 * means no limit. Validated as the kernel does: period 1000..1000000 us, quota at least 1000 us.
 */
public record CpuMax(long quotaUs, long periodUs) {
    public static final long UNLIMITED = -1;
    public static final long DEFAULT_PERIOD_US = 100_000;
    public static final long MIN_PERIOD_US = 1_000;
    public static final long MAX_PERIOD_US = 1_000_000;
    public static final long MIN_QUOTA_US = 1_000;

    public CpuMax {
        if (periodUs < MIN_PERIOD_US || periodUs > MAX_PERIOD_US) {
            throw new InvalidResourceException("cpu.period", periodUs,
                    "must be " + MIN_PERIOD_US + ".." + MAX_PERIOD_US + " us");
        }
        if (quotaUs != UNLIMITED && quotaUs < MIN_QUOTA_US) {
            throw new InvalidResourceException("cpu.quota", quotaUs,
                    "must be at least " + MIN_QUOTA_US + " us, or unlimited");
        }
    }

    public static CpuMax unlimited() {
        return new CpuMax(UNLIMITED, DEFAULT_PERIOD_US);
    }

    public boolean isUnlimited() {
        return quotaUs == UNLIMITED;
    }

    /** The v2 {@code cpu.max} form: "quota period" or "max period". */
    public String toV2() {
        return (isUnlimited() ? "max" : Long.toString(quotaUs)) + " " + periodUs;
    }

    /** Parses the v2 {@code cpu.max} form. */
    public static CpuMax parseV2(String text) {
        String[] f = text.strip().split("\\s+");
        if (f.length != 2) {
            throw new InvalidResourceException("cpu.max", text, "expected 'quota period'");
        }
        try {
            long quota = f[0].equals("max") ? UNLIMITED : Long.parseLong(f[0]);
            return new CpuMax(quota, Long.parseLong(f[1]));
        } catch (NumberFormatException e) {
            throw new InvalidResourceException("cpu.max", text, "not numbers");
        }
    }
}
