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
