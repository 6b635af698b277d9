package dev.vmsup.json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;

/**
 * JSON text to Jackson trees ({@link JsonNode}) and back, through Jackson's streaming parser and generator.
 *
 * <p>No {@code ObjectMapper} is made: a mapper loads some 300 classes of databind (serializer and deserializer
 * factories, type introspection, their caches) that reading and writing trees does not use, and each of them
 * costs start-up time and memory in every supervisor. The trees are those {@code ObjectMapper.readTree} reads
 * and the text is what {@code writeValueAsString} writes (tests compare them).
 */
public final class JsonTrees {
    private static final JsonFactory JSON = new JsonFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonTrees() {
    }

    /** A new, empty JSON object. */
    public static ObjectNode object() {
        return NODES.objectNode();
    }

    /** A new, empty JSON array. */
    public static ArrayNode array() {
        return NODES.arrayNode();
    }

    /** The first JSON value of {@code json} (what follows it is not read), or a missing node if it has none. */
    public static JsonNode read(String json) throws JsonProcessingException {
        return read(json, false);
    }

    /**
     * The one JSON value of {@code json}: a field name repeated in an object or anything after the value is a
     * {@link JsonParseException}.
     */
    public static JsonNode readStrict(String json) throws JsonProcessingException {
        return read(json, true);
    }

    private static JsonNode read(String json, boolean strict) throws JsonProcessingException {
        try (JsonParser p = JSON.createParser(json)) {
            if (!strict) {
                return read(p);
            }
            p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            JsonNode node = read(p);
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new JsonParseException(p, "trailing token (" + after + ") after the JSON value");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // text in memory: nothing to fail but its syntax
        }
    }

    /** The first JSON value of {@code length} bytes of UTF-8 at {@code offset}, as {@link #read(String)}. */
    public static JsonNode read(byte[] json, int offset, int length) throws JsonProcessingException {
        try (JsonParser p = JSON.createParser(json, offset, length)) {
            return read(p);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // bytes in memory: nothing to fail but their syntax
        }
    }

    /** The value at the parser's next token (any format's parser, e.g. TOML's), or a missing node at its end. */
    public static JsonNode read(JsonParser parser) throws IOException {
        JsonToken first = parser.nextToken();
        return first == null ? MissingNode.getInstance() : value(parser, first);
    }

    private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                ObjectNode o = NODES.objectNode();
                for (JsonToken k = p.nextToken(); k == JsonToken.FIELD_NAME; k = p.nextToken()) {
                    String name = p.currentName();
                    o.set(name, value(p, p.nextToken()));
                }
                return o;
            }
            case START_ARRAY: {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    a.add(value(p, e));
                }
                return a;
            }
            case VALUE_STRING:
                return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT:
                switch (p.getNumberType()) {
                    case INT:
                        return NODES.numberNode(p.getIntValue());
                    case LONG:
                        return NODES.numberNode(p.getLongValue());
                    default:
                        return NODES.numberNode(p.getBigIntegerValue());
                }
            case VALUE_NUMBER_FLOAT:
                switch (p.getNumberType()) {
                    case BIG_DECIMAL:
                        return NODES.numberNode(p.getDecimalValue());
                    case FLOAT:
                        return NODES.numberNode(p.getFloatValue());
                    default:
                        return NODES.numberNode(p.getDoubleValue());
                }
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            case VALUE_EMBEDDED_OBJECT: {
                Object o = p.getEmbeddedObject();
                return o instanceof byte[] b ? NODES.binaryNode(b) : NODES.pojoNode(o);
            }
            default:
                throw new JsonParseException(p, "unexpected token " + t);
        }
    }

    /** Compact JSON text of a tree. */
    public static String write(JsonNode node) {
        return text(node, false);
    }

    /** Indented JSON text of a tree (Jackson's default pretty printer: two spaces, {@code "name" : value}). */
    public static String writePretty(JsonNode node) {
        return text(node, true);
    }

    private static String text(JsonNode node, boolean pretty) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            if (pretty) {
                g.setPrettyPrinter(new DefaultPrettyPrinter());
            }
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /** Compact JSON text of a tree as UTF-8. */
    public static byte[] writeBytes(JsonNode node) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return out.toByteArray();
    }

    /** Writes one tree to a generator. */
    public static void write(JsonGenerator g, JsonNode node) throws IOException {
        switch (node.getNodeType()) {
            case OBJECT:
                g.writeStartObject();
                for (Map.Entry<String, JsonNode> e : node.properties()) {
                    if (!e.getValue().isMissingNode()) {
                        g.writeFieldName(e.getKey());
                        write(g, e.getValue());
                    }
                }
                g.writeEndObject();
                break;
            case ARRAY:
                g.writeStartArray();
                for (JsonNode e : node) {
                    if (!e.isMissingNode()) {
                        write(g, e);
                    }
                }
                g.writeEndArray();
                break;
            case STRING:
                g.writeString(node.textValue());
                break;
            case NUMBER:
                writeNumber(g, node);
                break;
            case BOOLEAN:
                g.writeBoolean(node.booleanValue());
                break;
            case NULL:
                g.writeNull();
                break;
            case BINARY:
                g.writeBinary(node.binaryValue());
                break;
            case POJO:
                write(g, valueOf(((POJONode) node).getPojo()));
                break;
            default: // a missing node writes nothing
                break;
        }
    }

    private static void writeNumber(JsonGenerator g, JsonNode n) throws IOException {
        switch (n.numberType()) {
            case INT:
                g.writeNumber(n.intValue());
                break;
            case LONG:
                g.writeNumber(n.longValue());
                break;
            case BIG_INTEGER:
                g.writeNumber(n.bigIntegerValue());
                break;
            case FLOAT:
                g.writeNumber(n.floatValue());
                break;
            case BIG_DECIMAL:
                g.writeNumber(n.decimalValue());
                break;
            default:
                g.writeNumber(n.doubleValue());
                break;
        }
    }

    /**
     * The tree of a plain Java value: null, a tree, a string, a number, a boolean, an enum (its name), or a map
     * (keys as strings), iterable or array of them.
     *
     * @throws IllegalArgumentException for any other kind of object
     */
    public static JsonNode valueOf(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof JsonNode n) {
            return n;
        }
        if (value instanceof String s) {
            return NODES.textNode(s);
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return NODES.numberNode(((Number) value).intValue());
        }
        if (value instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (value instanceof Double d) {
            return NODES.numberNode(d);
        }
        if (value instanceof Float f) {
            return NODES.numberNode(f);
        }
        if (value instanceof BigInteger b) {
            return NODES.numberNode(b);
        }
        if (value instanceof BigDecimal b) {
            return NODES.numberNode(b);
        }
        if (value instanceof Enum<?> e) {
            return NODES.textNode(e.name());
        }
        if (value instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, v) -> o.set(String.valueOf(k), valueOf(v)));
            return o;
        }
        if (value instanceof Iterable<?> it) {
            ArrayNode a = NODES.arrayNode();
            it.forEach(v -> a.add(valueOf(v)));
            return a;
        }
        if (value instanceof Object[] arr) {
            ArrayNode a = NODES.arrayNode();
            for (Object v : arr) {
                a.add(valueOf(v));
            }
            return a;
        }
        throw new IllegalArgumentException("not a JSON value: a " + value.getClass().getName());
    }
}
