package dev.vmsup.virtiofsd;

/** The two virtiofsd implementations, which take different flags. */
public enum Flavour {
    /** The C daemon shipped with QEMU up to 7.x (Debian 12: /usr/lib/qemu/virtiofsd): -o source=, -o cache=. */
    C,
    /** The Rust daemon (virtiofsd 1.x): --shared-dir, --cache. */
    RUST;

    /**
     * Tells the flavour from the binary's own {@code --help} output (never from its path): the Rust daemon
     * documents {@code --shared-dir}, the C one {@code -o source=}.
     */
    public static Flavour fromHelp(String help) {
        if (help.contains("--shared-dir")) {
            return RUST;
        }
        if (help.contains("source=")) {
            return C;
        }
        throw new VirtiofsdException("unrecognized virtiofsd: its --help mentions neither --shared-dir nor -o source=");
    }
}
