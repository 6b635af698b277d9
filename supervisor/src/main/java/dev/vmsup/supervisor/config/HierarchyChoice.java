package dev.vmsup.supervisor.config;

import java.util.Locale;
import java.util.Set;

import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.Hierarchy;

/** Which cgroup interface to use: the host's preferred one, or v1 / v2 explicitly (hybrid hosts have both). */
public enum HierarchyChoice {
    AUTO, V1, V2;

    /** The hierarchy this choice means on {@code host}; v1 with {@code v1Controllers}. */
    public Hierarchy open(CgroupHost host, Set<String> v1Controllers) {
        return switch (this) {
            case V1 -> host.v1(v1Controllers);
            case V2 -> host.v2();
            case AUTO -> host.preferred(v1Controllers);
        };
    }

    static HierarchyChoice parse(String key, String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, key + ": expected auto, v1 or v2, got " + SandboxId.shown(text));
        }
    }
}
