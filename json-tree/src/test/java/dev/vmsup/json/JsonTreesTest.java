package dev.vmsup.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The trees and text of {@link JsonTrees} against an ObjectMapper's, which they replace. */
class JsonTreesTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final List<String> SAMPLES = List.of(
            "{\"return\":[{\"cpu-index\":0,\"qom-path\":\"/machine/unattached/device[0]\",\"thread-id\":1234,"
                    + "\"props\":{\"core-id\":0,\"socket-id\":0}}],\"id\":\"vmsup-7\"}",
            "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":0,\"minor\":2,\"major\":7},\"package\":\"Debian 1:7.2\"},"
                    + "\"capabilities\":[\"oob\"]}}",
            "{\"int\":2147483647,\"long\":2147483648,\"big\":123456789012345678901234567890,\"neg\":-1,"
                    + "\"double\":1.5,\"exp\":1e300,\"tiny\":-2.5E-10,\"t\":true,\"f\":false,\"n\":null,"
                    + "\"text\":\"quote \\\" slash \\\\ tab \\t nl \\n unicode \\u00e9 \\u0001\",\"empty\":{},\"none\":[]}",
            "[1,[2,[3,{\"a\":[]}]],\"x\"]",
            "\"just a string\"", "42", "-0.0", "null");

    @Test
    void readsTheTreesAnObjectMapperReads() throws IOException {
        for (String json : SAMPLES) {
            JsonNode mine = JsonTrees.read(json);
            JsonNode theirs = MAPPER.readTree(json);
            assertThat(mine).as(json).isEqualTo(theirs);
            assertThat(mine.getNodeType()).isEqualTo(theirs.getNodeType());
            byte[] bytes = ("  " + json + " \n").getBytes(StandardCharsets.UTF_8);
            assertThat(JsonTrees.read(bytes, 2, bytes.length - 4)).as(json).isEqualTo(theirs);
        }
        JsonNode numbers = JsonTrees.read(SAMPLES.get(2));
        assertThat(numbers.get("int").isInt()).isTrue();
        assertThat(numbers.get("long").isLong()).isTrue();
        assertThat(numbers.get("big").isBigInteger()).isTrue();
        assertThat(numbers.get("double").isDouble()).isTrue();
    }

    @Test
    void writesTheTextAnObjectMapperWrites() throws IOException {
        for (String json : SAMPLES) {
            JsonNode tree = MAPPER.readTree(json);
            assertThat(JsonTrees.write(tree)).as(json).isEqualTo(MAPPER.writeValueAsString(tree));
            assertThat(JsonTrees.writeBytes(tree)).as(json).isEqualTo(MAPPER.writeValueAsBytes(tree));
            assertThat(JsonTrees.writePretty(tree)).as(json)
                    .isEqualTo(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
        }
        ObjectNode built = JsonTrees.object().put("f", 1.25f).put("d", new BigDecimal("10.50"))
                .put("b", new BigInteger("-99999999999999999999")).put("bin", new byte[] {1, 2, 3});
        assertThat(JsonTrees.write(built)).isEqualTo(MAPPER.writeValueAsString(built));
    }

    @Test
    void readsNothingAfterTheValueUnlessStrict() throws IOException {
        assertThat(JsonTrees.read("{\"a\":1} {\"b\":2}")).isEqualTo(MAPPER.readTree("{\"a\":1} {\"b\":2}"));
        assertThat(JsonTrees.read("{\"a\":1,\"a\":2}")).isEqualTo(MAPPER.readTree("{\"a\":1,\"a\":2}"));
        assertThat(JsonTrees.read("").isMissingNode()).isTrue();
        assertThat(JsonTrees.read("   ").isMissingNode()).isTrue();

        assertThat(JsonTrees.readStrict(" {\"a\":[1,2]} ")).isEqualTo(MAPPER.readTree("{\"a\":[1,2]}"));
        assertThatThrownBy(() -> JsonTrees.readStrict("{\"a\":1} {\"b\":2}"))
                .isInstanceOf(JsonParseException.class).hasMessageContaining("trailing token (START_OBJECT)");
        assertThatThrownBy(() -> JsonTrees.readStrict("{\"a\":1} x")).isInstanceOf(JsonParseException.class);
        assertThatThrownBy(() -> JsonTrees.readStrict("{\"a\":1,\"a\":2}"))
                .isInstanceOf(JsonParseException.class).hasMessageContaining("Duplicate field 'a'");
        assertThatThrownBy(() -> JsonTrees.read("{\"a\":")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> JsonTrees.read("[1,}")).isInstanceOf(JsonParseException.class);
    }

    @Test
    void refusesNestingDeeperThanJacksonAllowsInsteadOfOverflowingTheStack() throws IOException {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> JsonTrees.read(deep)).isInstanceOf(JsonProcessingException.class)
                .hasMessageContaining("nesting depth");
        String fine = "[".repeat(200) + "]".repeat(200);
        assertThat(JsonTrees.read(fine)).isEqualTo(MAPPER.readTree(fine));
    }

    @Test
    void makesTreesOfPlainValuesAsAnObjectMapperDoes() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("s", "x");
        fields.put("i", 3);
        fields.put("l", 5_000_000_000L);
        fields.put("b", true);
        fields.put("d", 0.5);
        fields.put("n", null);
        fields.put("list", List.of(1, "two", List.of()));
        fields.put("map", Map.of("k", 1));
        fields.put("enum", Thread.State.RUNNABLE);
        fields.put("tree", JsonTrees.object().put("x", 1));
        assertThat(JsonTrees.valueOf(fields)).isEqualTo(MAPPER.valueToTree(fields));
        assertThat(JsonTrees.write(JsonTrees.valueOf(fields))).isEqualTo(
                "{\"s\":\"x\",\"i\":3,\"l\":5000000000,\"b\":true,\"d\":0.5,\"n\":null,\"list\":[1,\"two\",[]],"
                        + "\"map\":{\"k\":1},\"enum\":\"RUNNABLE\",\"tree\":{\"x\":1}}");
        assertThatThrownBy(() -> JsonTrees.valueOf(new Object()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("not a JSON value: a java.lang.Object");
    }
}
