package dev.vmsup.supervisor;

import java.util.Locale;

/** Which cgroup interface to use: the host's preferred one, or v1 / v2 explicitly (hybrid hosts have both). */
public enum HierarchyChoice {
    AUTO, V1, V2;

    static HierarchyChoice parse(String key, String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, key + ": expected auto, v1 or v2, got " + SandboxId.shown(text));
        }
    }
}
