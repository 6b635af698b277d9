package dev.vmsup.cgroupfs;

import java.util.BitSet;

/**
 * A set of CPU (or memory node) ids in the kernel's list syntax, {@code 0-3,7}. Parsing is strict:
 * {@code 0-}, {@code 3-1}, {@code 1,,2}, spaces and ids above {@link #MAX_ID} are rejected.
 * The empty list prints as the empty string.
 */
public final class CpuList {
    /** Largest id accepted; the kernel's NR_CPUS is at most 8192. */
    public static final int MAX_ID = 8191;

    public static final CpuList EMPTY = new CpuList(new BitSet());

    private final BitSet ids;

    private CpuList(BitSet ids) {
        this.ids = ids;
    }

    public static CpuList parse(String text) {
        if (text == null) {
            throw new InvalidResourceException("cpu list", null, "null");
        }
        String s = text.strip();
        BitSet ids = new BitSet();
        if (s.isEmpty()) {
            return EMPTY;
        }
        for (String range : s.split(",", -1)) {
            if (range.isEmpty()) {
                throw new InvalidResourceException("cpu list", text, "empty element");
            }
            int dash = range.indexOf('-');
            int lo = parseId(text, dash < 0 ? range : range.substring(0, dash));
            int hi = dash < 0 ? lo : parseId(text, range.substring(dash + 1));
            if (hi < lo) {
                throw new InvalidResourceException("cpu list", text, "range " + range + " runs backwards");
            }
            ids.set(lo, hi + 1);
        }
        return new CpuList(ids);
    }

    private static int parseId(String text, String s) {
        if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidResourceException("cpu list", text, "'" + s + "' is not a cpu id");
        }
        int id = Integer.parseInt(s);
        if (id > MAX_ID) {
            throw new InvalidResourceException("cpu list", text, "id " + id + " above " + MAX_ID);
        }
        return id;
    }

    public static CpuList of(int... ids) {
        BitSet set = new BitSet();
        for (int id : ids) {
            if (id < 0 || id > MAX_ID) {
                throw new InvalidResourceException("cpu list", id, "id out of range 0.." + MAX_ID);
            }
            set.set(id);
        }
        return new CpuList(set);
    }

    public CpuList union(CpuList other) {
        BitSet set = (BitSet) ids.clone();
        set.or(other.ids);
        return new CpuList(set);
    }

    /** True if every id of this list is in {@code other}. */
    public boolean isSubsetOf(CpuList other) {
        BitSet rest = (BitSet) ids.clone();
        rest.andNot(other.ids);
        return rest.isEmpty();
    }

    public boolean isEmpty() {
        return ids.isEmpty();
    }

    public int size() {
        return ids.cardinality();
    }

    /** The canonical list form: ascending, ranges merged ({@code 0-3,7}). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        int i = ids.nextSetBit(0);
        while (i >= 0) {
            int end = ids.nextClearBit(i) - 1;
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(i);
            if (end > i) {
                sb.append('-').append(end);
            }
            i = ids.nextSetBit(end + 1);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuList other && other.ids.equals(ids);
    }

    @Override
    public int hashCode() {
        return ids.hashCode();
    }
}
