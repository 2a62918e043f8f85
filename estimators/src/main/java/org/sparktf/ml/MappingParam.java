package org.sparktf.ml;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;

/** A Param holding a name-to-name mapping (column to tensor, tensor to column), saved as JSON. */
public class MappingParam extends Param<Map<String, String>> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  public MappingParam(Params parent, String name, String doc) {
    super(
        parent.uid(),
        name,
        doc,
        (scala.Function1<Map<String, String>, Object>) MappingParam::valid);
  }

  /** This Param with a Scala map, for Scala callers ({@code paramMap.put(p.w(Map(...)))}). */
  public org.apache.spark.ml.param.ParamPair<Map<String, String>> w(
      scala.collection.Map<String, String> value) {
    return w(fromScala(value));
  }

  /** A Java copy of a Scala map, in its iteration order; null stays null (and is then refused). */
  static Map<String, String> fromScala(scala.collection.Map<String, String> value) {
    if (value == null) {
      return null;
    }
    Map<String, String> copy = new LinkedHashMap<>();
    value.foreach(entry -> copy.put(entry._1(), entry._2()));
    return copy;
  }

  private static Object valid(Map<String, String> mapping) {
    return mapping != null
        && mapping.entrySet().stream()
            .allMatch(
                e ->
                    e.getKey() != null
                        && !e.getKey().isEmpty()
                        && e.getValue() != null
                        && !e.getValue().isEmpty());
  }

  @Override
  public String jsonEncode(Map<String, String> value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Invalid mapping: " + value, e);
    }
  }

  @Override
  public Map<String, String> jsonDecode(String json) {
    try {
      return JSON.readValue(json, new TypeReference<LinkedHashMap<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Invalid mapping JSON: " + json, e);
    }
  }
}
