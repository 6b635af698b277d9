package dev.vmsup.cgroupfs;

import java.util.List;

/**
 * What a recursive delete did: the cgroups it removed (deepest first) and those it could not remove,
 * each with the reason.
 */
public record DeleteReport(List<CgroupPath> removed, List<Failure> failures) {
    public DeleteReport {
        removed = List.copyOf(removed);
        failures = List.copyOf(failures);
    }

    /** One cgroup left in place, and why. */
    public record Failure(CgroupPath path, CgroupException cause) {
    }

    public boolean complete() {
        return failures.isEmpty();
    }

    /** Throws the first failure, with the others suppressed, if anything was left. */
    public DeleteReport orThrow() {
        if (failures.isEmpty()) {
            return this;
        }
        CgroupException first = failures.get(0).cause();
        for (int i = 1; i < failures.size(); i++) {
            first.addSuppressed(failures.get(i).cause());
        }
        throw first;
    }
}
