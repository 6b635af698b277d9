package dev.vmsup.supervisor.process;

/** libc's signal calls for {@link Rebirth}, and the sigset_t they take. */
final class Signals {
    private Signals() {
    }

    static LibC libc() {
        return Posix.libc();
    }

    /** A sigset_t holding {@code signals} (bit n-1 for signal n, little-endian words). */
    static byte[] sigset(int... signals) {
        byte[] set = new byte[LibC.SIGSET_BYTES];
        for (int s : signals) {
            set[(s - 1) / 8] |= (byte) (1 << ((s - 1) % 8));
        }
        return set;
    }
}
