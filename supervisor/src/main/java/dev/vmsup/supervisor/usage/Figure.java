package dev.vmsup.supervisor.usage;

import java.util.Arrays;
import java.util.List;

/** A figure over a window of samples: the latest value, the largest, and the 95th percentile (nearest rank). */
public record Figure(long current, long max, long p95) {
    public static final Figure NONE = new Figure(0, 0, 0);

    /** Of {@code values} in sample order (empty: {@link #NONE}). */
    public static Figure of(List<Long> values) {
        if (values.isEmpty()) {
            return NONE;
        }
        long[] sorted = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(0.95 * sorted.length); // nearest rank, 1-based
        return new Figure(values.get(values.size() - 1), sorted[sorted.length - 1], sorted[Math.max(0, rank - 1)]);
    }
}
