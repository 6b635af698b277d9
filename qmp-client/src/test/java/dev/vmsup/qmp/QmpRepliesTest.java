package dev.vmsup.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The replies as QEMU 7.2 sends them, read field by field; shapes that are not QMP's are refused. */
class QmpRepliesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return MAPPER.readTree(s);
    }

    @Test
    void readsQemusReplies() throws Exception {
        List<CpuInfo> cpus = Replies.list(json("""
                [{"thread-id": 4711, "props": {"core-id": 0, "thread-id": 0, "socket-id": 1}, "qom-path":
                  "/machine/peripheral/cpu-1", "cpu-index": 1, "target": "x86_64"}]"""), CpuInfo::of);
        assertThat(cpus).containsExactly(new CpuInfo(1, "/machine/peripheral/cpu-1", 4711,
                Map.of("core-id", 0L, "thread-id", 0L, "socket-id", 1L)));
        List<HotpluggableCpu> slots = Replies.list(json("""
                [{"props": {"core-id": 0, "thread-id": 0, "socket-id": 3}, "vcpus-count": 1,
                  "type": "qemu64-x86_64-cpu"},
                 {"props": {"core-id": 0, "thread-id": 0, "socket-id": 0}, "vcpus-count": 1,
                  "qom-path": "/machine/unattached/device[0]", "type": "qemu64-x86_64-cpu"}]"""), HotpluggableCpu::of);
        assertThat(slots.get(0).plugged()).isFalse();
        assertThat(slots.get(0).props()).containsEntry("socket-id", 3L);
        assertThat(slots.get(1).plugged()).isTrue();
        QmpVersion v = QmpVersion.of(json("{\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": "
                + "\"Debian 1:7.2+dfsg-7\"}"));
        assertThat(v.toString()).isEqualTo("7.2.0 (Debian 1:7.2+dfsg-7)");
        assertThat(QmpStatus.of(json("{\"status\": \"paused\", \"singlestep\": false, \"running\": false}")))
                .isEqualTo(new QmpStatus("paused", false));
    }

    @Test
    void refusesShapesThatAreNotQmps() {
        assertThatThrownBy(() -> Replies.list(json("{\"a\": 1}"), CpuInfo::of)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CpuInfo.of(json("[1]"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CpuInfo.of(json("{\"cpu-index\": [0]}"))).hasMessageContaining("cpu-index");
        assertThatThrownBy(() -> HotpluggableCpu.of(json("{\"props\": {\"socket-id\": \"one\"}}")))
                .hasMessageContaining("socket-id");
        assertThatThrownBy(() -> QmpVersion.of(json("{\"qemu\": 7}"))).isInstanceOf(IllegalArgumentException.class);
    }
}
