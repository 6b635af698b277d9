package dev.vmsup.virtiofsd;

/** Guest page-cache policy for the shared directory, spelled per flavour. */
public enum CacheMode {
    AUTO, ALWAYS, NEVER;

    String flag(Flavour flavour) {
        return switch (this) {
            case AUTO -> "auto";
            case ALWAYS -> "always";
            case NEVER -> flavour == Flavour.C ? "none" : "never";
        };
    }
}
