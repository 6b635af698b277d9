package dev.vmsup.supervisor.vm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.vmsup.qmp.HotpluggableCpu;

/** QEMU's empty CPU slots, lowest socket first, as QEMU last reported them; forgotten when its view may have changed. */
final class FreeCpuSlots {
    private List<HotpluggableCpu> free; // null: ask QEMU

    boolean known() {
        return free != null;
    }

    /** Keeps the empty ones of {@code query-hotpluggable-cpus}'s answer. */
    void remember(List<HotpluggableCpu> all) {
        free = new ArrayList<>(all.stream().filter(s -> !s.plugged())
                .sorted(Comparator.comparing(s -> s.props().getOrDefault("socket-id", 0L))).toList());
    }

    void forget() {
        free = null;
    }

    /** The slot the next CPU goes into. */
    HotpluggableCpu lowest() {
        if (free.isEmpty()) {
            throw new CpuHotplugException("device_add", "no free CPU slot left", true);
        }
        return free.get(0);
    }

    /** The lowest slot was filled. */
    void taken() {
        free.remove(0);
    }
}
