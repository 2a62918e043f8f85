package org.sparktf.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;

/** Where one registered node lives: its TensorFlow port and its feed port on an executor host. */
public final class NodeAddress implements Serializable {
  private static final long serialVersionUID = 1L;

  final int index;
  final String host;
  final int tfPort;
  final int feedPort;
  final String executorId;

  NodeAddress(int index, String host, int tfPort, int feedPort, String executorId) {
    this.index = index;
    this.host = host;
    this.tfPort = tfPort;
    this.feedPort = feedPort;
    this.executorId = executorId;
  }

  public int index() {
    return index;
  }

  public String host() {
    return host;
  }

  public int tfPort() {
    return tfPort;
  }

  public int feedPort() {
    return feedPort;
  }

  public String executorId() {
    return executorId;
  }

  String tfAddress() {
    return host + ":" + tfPort;
  }

  ObjectNode toJson() {
    return ControlChannel.message("node")
        .put("index", index)
        .put("host", host)
        .put("tfPort", tfPort)
        .put("feedPort", feedPort)
        .put("executorId", executorId);
  }

  static NodeAddress fromJson(JsonNode json) {
    return new NodeAddress(
        json.path("index").asInt(-1),
        json.path("host").asText(),
        json.path("tfPort").asInt(),
        json.path("feedPort").asInt(),
        json.path("executorId").asText());
  }
}
