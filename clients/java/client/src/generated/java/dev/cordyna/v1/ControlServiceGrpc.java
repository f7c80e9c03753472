package dev.cordyna.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * ControlService is for outsiders: the CLI, grpcurl, CI jobs, web pages.
 * </pre>
 */
@io.grpc.stub.annotations.GrpcGenerated
public final class ControlServiceGrpc {

  private ControlServiceGrpc() {}

  public static final java.lang.String SERVICE_NAME = "cordyna.v1.ControlService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.StartRunRequest,
      dev.cordyna.v1.StartRunResponse> getStartRunMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "StartRun",
      requestType = dev.cordyna.v1.StartRunRequest.class,
      responseType = dev.cordyna.v1.StartRunResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.StartRunRequest,
      dev.cordyna.v1.StartRunResponse> getStartRunMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.StartRunRequest, dev.cordyna.v1.StartRunResponse> getStartRunMethod;
    if ((getStartRunMethod = ControlServiceGrpc.getStartRunMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getStartRunMethod = ControlServiceGrpc.getStartRunMethod) == null) {
          ControlServiceGrpc.getStartRunMethod = getStartRunMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.StartRunRequest, dev.cordyna.v1.StartRunResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "StartRun"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.StartRunRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.StartRunResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("StartRun"))
              .build();
        }
      }
    }
    return getStartRunMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.GetRunRequest,
      dev.cordyna.v1.GetRunResponse> getGetRunMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetRun",
      requestType = dev.cordyna.v1.GetRunRequest.class,
      responseType = dev.cordyna.v1.GetRunResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.GetRunRequest,
      dev.cordyna.v1.GetRunResponse> getGetRunMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.GetRunRequest, dev.cordyna.v1.GetRunResponse> getGetRunMethod;
    if ((getGetRunMethod = ControlServiceGrpc.getGetRunMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getGetRunMethod = ControlServiceGrpc.getGetRunMethod) == null) {
          ControlServiceGrpc.getGetRunMethod = getGetRunMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.GetRunRequest, dev.cordyna.v1.GetRunResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetRun"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.GetRunRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.GetRunResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("GetRun"))
              .build();
        }
      }
    }
    return getGetRunMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.ListRunsRequest,
      dev.cordyna.v1.ListRunsResponse> getListRunsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListRuns",
      requestType = dev.cordyna.v1.ListRunsRequest.class,
      responseType = dev.cordyna.v1.ListRunsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.ListRunsRequest,
      dev.cordyna.v1.ListRunsResponse> getListRunsMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.ListRunsRequest, dev.cordyna.v1.ListRunsResponse> getListRunsMethod;
    if ((getListRunsMethod = ControlServiceGrpc.getListRunsMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getListRunsMethod = ControlServiceGrpc.getListRunsMethod) == null) {
          ControlServiceGrpc.getListRunsMethod = getListRunsMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.ListRunsRequest, dev.cordyna.v1.ListRunsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListRuns"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListRunsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListRunsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("ListRuns"))
              .build();
        }
      }
    }
    return getListRunsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.CancelRunRequest,
      dev.cordyna.v1.CancelRunResponse> getCancelRunMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CancelRun",
      requestType = dev.cordyna.v1.CancelRunRequest.class,
      responseType = dev.cordyna.v1.CancelRunResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.CancelRunRequest,
      dev.cordyna.v1.CancelRunResponse> getCancelRunMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.CancelRunRequest, dev.cordyna.v1.CancelRunResponse> getCancelRunMethod;
    if ((getCancelRunMethod = ControlServiceGrpc.getCancelRunMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getCancelRunMethod = ControlServiceGrpc.getCancelRunMethod) == null) {
          ControlServiceGrpc.getCancelRunMethod = getCancelRunMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.CancelRunRequest, dev.cordyna.v1.CancelRunResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CancelRun"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.CancelRunRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.CancelRunResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("CancelRun"))
              .build();
        }
      }
    }
    return getCancelRunMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.ListTasksRequest,
      dev.cordyna.v1.ListTasksResponse> getListTasksMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListTasks",
      requestType = dev.cordyna.v1.ListTasksRequest.class,
      responseType = dev.cordyna.v1.ListTasksResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.ListTasksRequest,
      dev.cordyna.v1.ListTasksResponse> getListTasksMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.ListTasksRequest, dev.cordyna.v1.ListTasksResponse> getListTasksMethod;
    if ((getListTasksMethod = ControlServiceGrpc.getListTasksMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getListTasksMethod = ControlServiceGrpc.getListTasksMethod) == null) {
          ControlServiceGrpc.getListTasksMethod = getListTasksMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.ListTasksRequest, dev.cordyna.v1.ListTasksResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListTasks"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListTasksRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListTasksResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("ListTasks"))
              .build();
        }
      }
    }
    return getListTasksMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.GetCandidateRequest,
      dev.cordyna.v1.GetCandidateResponse> getGetCandidateMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetCandidate",
      requestType = dev.cordyna.v1.GetCandidateRequest.class,
      responseType = dev.cordyna.v1.GetCandidateResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.GetCandidateRequest,
      dev.cordyna.v1.GetCandidateResponse> getGetCandidateMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.GetCandidateRequest, dev.cordyna.v1.GetCandidateResponse> getGetCandidateMethod;
    if ((getGetCandidateMethod = ControlServiceGrpc.getGetCandidateMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getGetCandidateMethod = ControlServiceGrpc.getGetCandidateMethod) == null) {
          ControlServiceGrpc.getGetCandidateMethod = getGetCandidateMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.GetCandidateRequest, dev.cordyna.v1.GetCandidateResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetCandidate"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.GetCandidateRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.GetCandidateResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("GetCandidate"))
              .build();
        }
      }
    }
    return getGetCandidateMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.ListServersRequest,
      dev.cordyna.v1.ListServersResponse> getListServersMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListServers",
      requestType = dev.cordyna.v1.ListServersRequest.class,
      responseType = dev.cordyna.v1.ListServersResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.ListServersRequest,
      dev.cordyna.v1.ListServersResponse> getListServersMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.ListServersRequest, dev.cordyna.v1.ListServersResponse> getListServersMethod;
    if ((getListServersMethod = ControlServiceGrpc.getListServersMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getListServersMethod = ControlServiceGrpc.getListServersMethod) == null) {
          ControlServiceGrpc.getListServersMethod = getListServersMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.ListServersRequest, dev.cordyna.v1.ListServersResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListServers"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListServersRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListServersResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("ListServers"))
              .build();
        }
      }
    }
    return getListServersMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.ForgetServerRequest,
      dev.cordyna.v1.ForgetServerResponse> getForgetServerMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ForgetServer",
      requestType = dev.cordyna.v1.ForgetServerRequest.class,
      responseType = dev.cordyna.v1.ForgetServerResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.ForgetServerRequest,
      dev.cordyna.v1.ForgetServerResponse> getForgetServerMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.ForgetServerRequest, dev.cordyna.v1.ForgetServerResponse> getForgetServerMethod;
    if ((getForgetServerMethod = ControlServiceGrpc.getForgetServerMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getForgetServerMethod = ControlServiceGrpc.getForgetServerMethod) == null) {
          ControlServiceGrpc.getForgetServerMethod = getForgetServerMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.ForgetServerRequest, dev.cordyna.v1.ForgetServerResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ForgetServer"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ForgetServerRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ForgetServerResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("ForgetServer"))
              .build();
        }
      }
    }
    return getForgetServerMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.GetGraphRequest,
      dev.cordyna.v1.GetGraphResponse> getGetGraphMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetGraph",
      requestType = dev.cordyna.v1.GetGraphRequest.class,
      responseType = dev.cordyna.v1.GetGraphResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.GetGraphRequest,
      dev.cordyna.v1.GetGraphResponse> getGetGraphMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.GetGraphRequest, dev.cordyna.v1.GetGraphResponse> getGetGraphMethod;
    if ((getGetGraphMethod = ControlServiceGrpc.getGetGraphMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getGetGraphMethod = ControlServiceGrpc.getGetGraphMethod) == null) {
          ControlServiceGrpc.getGetGraphMethod = getGetGraphMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.GetGraphRequest, dev.cordyna.v1.GetGraphResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetGraph"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.GetGraphRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.GetGraphResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("GetGraph"))
              .build();
        }
      }
    }
    return getGetGraphMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.WatchEventsRequest,
      dev.cordyna.v1.WatchEventsResponse> getWatchEventsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "WatchEvents",
      requestType = dev.cordyna.v1.WatchEventsRequest.class,
      responseType = dev.cordyna.v1.WatchEventsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.WatchEventsRequest,
      dev.cordyna.v1.WatchEventsResponse> getWatchEventsMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.WatchEventsRequest, dev.cordyna.v1.WatchEventsResponse> getWatchEventsMethod;
    if ((getWatchEventsMethod = ControlServiceGrpc.getWatchEventsMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getWatchEventsMethod = ControlServiceGrpc.getWatchEventsMethod) == null) {
          ControlServiceGrpc.getWatchEventsMethod = getWatchEventsMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.WatchEventsRequest, dev.cordyna.v1.WatchEventsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "WatchEvents"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.WatchEventsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.WatchEventsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("WatchEvents"))
              .build();
        }
      }
    }
    return getWatchEventsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.GetTaskRunLogsRequest,
      dev.cordyna.v1.GetTaskRunLogsResponse> getGetTaskRunLogsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetTaskRunLogs",
      requestType = dev.cordyna.v1.GetTaskRunLogsRequest.class,
      responseType = dev.cordyna.v1.GetTaskRunLogsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.GetTaskRunLogsRequest,
      dev.cordyna.v1.GetTaskRunLogsResponse> getGetTaskRunLogsMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.GetTaskRunLogsRequest, dev.cordyna.v1.GetTaskRunLogsResponse> getGetTaskRunLogsMethod;
    if ((getGetTaskRunLogsMethod = ControlServiceGrpc.getGetTaskRunLogsMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getGetTaskRunLogsMethod = ControlServiceGrpc.getGetTaskRunLogsMethod) == null) {
          ControlServiceGrpc.getGetTaskRunLogsMethod = getGetTaskRunLogsMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.GetTaskRunLogsRequest, dev.cordyna.v1.GetTaskRunLogsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetTaskRunLogs"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.GetTaskRunLogsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.GetTaskRunLogsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("GetTaskRunLogs"))
              .build();
        }
      }
    }
    return getGetTaskRunLogsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.FollowTaskRunLogsRequest,
      dev.cordyna.v1.FollowTaskRunLogsResponse> getFollowTaskRunLogsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "FollowTaskRunLogs",
      requestType = dev.cordyna.v1.FollowTaskRunLogsRequest.class,
      responseType = dev.cordyna.v1.FollowTaskRunLogsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.FollowTaskRunLogsRequest,
      dev.cordyna.v1.FollowTaskRunLogsResponse> getFollowTaskRunLogsMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.FollowTaskRunLogsRequest, dev.cordyna.v1.FollowTaskRunLogsResponse> getFollowTaskRunLogsMethod;
    if ((getFollowTaskRunLogsMethod = ControlServiceGrpc.getFollowTaskRunLogsMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getFollowTaskRunLogsMethod = ControlServiceGrpc.getFollowTaskRunLogsMethod) == null) {
          ControlServiceGrpc.getFollowTaskRunLogsMethod = getFollowTaskRunLogsMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.FollowTaskRunLogsRequest, dev.cordyna.v1.FollowTaskRunLogsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "FollowTaskRunLogs"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.FollowTaskRunLogsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.FollowTaskRunLogsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("FollowTaskRunLogs"))
              .build();
        }
      }
    }
    return getFollowTaskRunLogsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.ListTaskRunsRequest,
      dev.cordyna.v1.ListTaskRunsResponse> getListTaskRunsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListTaskRuns",
      requestType = dev.cordyna.v1.ListTaskRunsRequest.class,
      responseType = dev.cordyna.v1.ListTaskRunsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.ListTaskRunsRequest,
      dev.cordyna.v1.ListTaskRunsResponse> getListTaskRunsMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.ListTaskRunsRequest, dev.cordyna.v1.ListTaskRunsResponse> getListTaskRunsMethod;
    if ((getListTaskRunsMethod = ControlServiceGrpc.getListTaskRunsMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getListTaskRunsMethod = ControlServiceGrpc.getListTaskRunsMethod) == null) {
          ControlServiceGrpc.getListTaskRunsMethod = getListTaskRunsMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.ListTaskRunsRequest, dev.cordyna.v1.ListTaskRunsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListTaskRuns"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListTaskRunsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListTaskRunsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("ListTaskRuns"))
              .build();
        }
      }
    }
    return getListTaskRunsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.SetTeamNotificationsRequest,
      dev.cordyna.v1.SetTeamNotificationsResponse> getSetTeamNotificationsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "SetTeamNotifications",
      requestType = dev.cordyna.v1.SetTeamNotificationsRequest.class,
      responseType = dev.cordyna.v1.SetTeamNotificationsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.SetTeamNotificationsRequest,
      dev.cordyna.v1.SetTeamNotificationsResponse> getSetTeamNotificationsMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.SetTeamNotificationsRequest, dev.cordyna.v1.SetTeamNotificationsResponse> getSetTeamNotificationsMethod;
    if ((getSetTeamNotificationsMethod = ControlServiceGrpc.getSetTeamNotificationsMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getSetTeamNotificationsMethod = ControlServiceGrpc.getSetTeamNotificationsMethod) == null) {
          ControlServiceGrpc.getSetTeamNotificationsMethod = getSetTeamNotificationsMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.SetTeamNotificationsRequest, dev.cordyna.v1.SetTeamNotificationsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "SetTeamNotifications"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.SetTeamNotificationsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.SetTeamNotificationsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("SetTeamNotifications"))
              .build();
        }
      }
    }
    return getSetTeamNotificationsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.cordyna.v1.ListTeamsRequest,
      dev.cordyna.v1.ListTeamsResponse> getListTeamsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListTeams",
      requestType = dev.cordyna.v1.ListTeamsRequest.class,
      responseType = dev.cordyna.v1.ListTeamsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.cordyna.v1.ListTeamsRequest,
      dev.cordyna.v1.ListTeamsResponse> getListTeamsMethod() {
    io.grpc.MethodDescriptor<dev.cordyna.v1.ListTeamsRequest, dev.cordyna.v1.ListTeamsResponse> getListTeamsMethod;
    if ((getListTeamsMethod = ControlServiceGrpc.getListTeamsMethod) == null) {
      synchronized (ControlServiceGrpc.class) {
        if ((getListTeamsMethod = ControlServiceGrpc.getListTeamsMethod) == null) {
          ControlServiceGrpc.getListTeamsMethod = getListTeamsMethod =
              io.grpc.MethodDescriptor.<dev.cordyna.v1.ListTeamsRequest, dev.cordyna.v1.ListTeamsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListTeams"))
              .setSafe(true)
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListTeamsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.cordyna.v1.ListTeamsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ControlServiceMethodDescriptorSupplier("ListTeams"))
              .build();
        }
      }
    }
    return getListTeamsMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static ControlServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ControlServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ControlServiceStub>() {
        @java.lang.Override
        public ControlServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ControlServiceStub(channel, callOptions);
        }
      };
    return ControlServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports all types of calls on the service
   */
  public static ControlServiceBlockingV2Stub newBlockingV2Stub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ControlServiceBlockingV2Stub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ControlServiceBlockingV2Stub>() {
        @java.lang.Override
        public ControlServiceBlockingV2Stub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ControlServiceBlockingV2Stub(channel, callOptions);
        }
      };
    return ControlServiceBlockingV2Stub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static ControlServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ControlServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ControlServiceBlockingStub>() {
        @java.lang.Override
        public ControlServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ControlServiceBlockingStub(channel, callOptions);
        }
      };
    return ControlServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static ControlServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ControlServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ControlServiceFutureStub>() {
        @java.lang.Override
        public ControlServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ControlServiceFutureStub(channel, callOptions);
        }
      };
    return ControlServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * ControlService is for outsiders: the CLI, grpcurl, CI jobs, web pages.
   * </pre>
   */
  public interface AsyncService {

    /**
     * <pre>
     * StartRun plans and starts a run. Fails with INVALID_ARGUMENT when no
     * target is given, NOT_FOUND naming every unknown target, and
     * FAILED_PRECONDITION naming every planned task that is unresolved.
     * A repeated idempotency_key returns the run it started first.
     * </pre>
     */
    default void startRun(dev.cordyna.v1.StartRunRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.StartRunResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getStartRunMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetRun returns one run; NOT_FOUND when there is none with that id, which
     * includes a finished run removed under the run retention.
     * </pre>
     */
    default void getRun(dev.cordyna.v1.GetRunRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.GetRunResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetRunMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListRuns returns the most recent runs first, a page at a time: pass
     * next_page_token back as page_token for the next page. Finished runs are
     * kept for a configured time and count only (cerebro's run retention).
     * </pre>
     */
    default void listRuns(dev.cordyna.v1.ListRunsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListRunsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListRunsMethod(), responseObserver);
    }

    /**
     * <pre>
     * CancelRun cancels a run's pending and running task-runs; NOT_FOUND when
     * there is no such run. Cancelling a finished run changes nothing.
     * </pre>
     */
    default void cancelRun(dev.cordyna.v1.CancelRunRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.CancelRunResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCancelRunMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListTasks returns every declared task and every unresolved upstream.
     * </pre>
     */
    default void listTasks(dev.cordyna.v1.ListTasksRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTasksResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListTasksMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetCandidate returns what the candidate of a change declared
     * (Hello.candidate), which cerebro keeps beside the live graph and
     * ListTasks leaves out: its server name and its tasks in the form
     * ListTasks gives the live ones, so that a client can compare the two
     * (dyna check --candidate). A method of its own rather than a candidate
     * field of ListTasksRequest: a TaskInfo tells of the live graph
     * (resolution, instances, completions, next fire time), none of which a
     * candidate has, so the field would change what every TaskInfo field
     * means. NOT_FOUND naming the change and the changes with candidates
     * connected when no candidate of the change is connected.
     * </pre>
     */
    default void getCandidate(dev.cordyna.v1.GetCandidateRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.GetCandidateResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetCandidateMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListServers returns every server name with a connected instance, or with
     * one connected within the server retention, with its instances.
     * </pre>
     */
    default void listServers(dev.cordyna.v1.ListServersRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListServersResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListServersMethod(), responseObserver);
    }

    /**
     * <pre>
     * ForgetServer removes a server name's declarations from the graph and the
     * store. FAILED_PRECONDITION while an instance of it is connected; NOT_FOUND
     * when it declares nothing.
     * </pre>
     */
    default void forgetServer(dev.cordyna.v1.ForgetServerRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ForgetServerResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getForgetServerMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetGraph returns the global task graph.
     * </pre>
     */
    default void getGraph(dev.cordyna.v1.GetGraphRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.GetGraphResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetGraphMethod(), responseObserver);
    }

    /**
     * <pre>
     * WatchEvents streams events. With a run_id it first replays that run's
     * stored events (after after_seq or after_cursor when given), then follows
     * it live, and ends once the run's RUN_FINISHED event was sent: a finished
     * run's watch replays and ends at once. No event is sent twice or left out
     * at the switch from replay to live, which a message with caught_up marks.
     * Without a run_id it follows every event from now on, or replays first
     * from after_cursor or the newest `last` events, and never ends by itself.
     * NOT_FOUND for a run cerebro does not have.
     * </pre>
     */
    default void watchEvents(dev.cordyna.v1.WatchEventsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.WatchEventsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getWatchEventsMethod(), responseObserver);
    }

    /**
     * <pre>
     * GetTaskRunLogs returns one page of what an attempt of a task-run logged,
     * oldest first: pass next_after_seq back as after_seq for the next page.
     * NOT_FOUND when the run, the task-run or the attempt does not exist.
     * </pre>
     */
    default void getTaskRunLogs(dev.cordyna.v1.GetTaskRunLogsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.GetTaskRunLogsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetTaskRunLogsMethod(), responseObserver);
    }

    /**
     * <pre>
     * FollowTaskRunLogs sends what an attempt logged so far, then each line as
     * it is stored, and ends once the attempt has ended and every line it
     * logged was sent.
     * </pre>
     */
    default void followTaskRunLogs(dev.cordyna.v1.FollowTaskRunLogsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.FollowTaskRunLogsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFollowTaskRunLogsMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListTaskRuns lists one task's past task-runs, newest first, a page at a
     * time: pass next_page_token back as page_token for the next page.
     * </pre>
     */
    default void listTaskRuns(dev.cordyna.v1.ListTaskRunsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTaskRunsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListTaskRunsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Teams and their notification routes are here, not in AccessService:
     * a team's routes say where cerebro tells the team about its tasks (the
     * graph this service shows), and ListTeams is read from the declared
     * tasks; AccessService is about credentials and the audit trail only.
     * SetTeamNotifications adds routes to a team's notification routes, or
     * with `clear` replaces them (`clear` and no routes removes them all). A
     * route the team already has is kept as it is, with its webhook secret.
     * An admin may set any team's routes, an operator its own team's only.
     * FAILED_PRECONDITION when the team would have more than 10 routes.
     * </pre>
     */
    default void setTeamNotifications(dev.cordyna.v1.SetTeamNotificationsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.SetTeamNotificationsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSetTeamNotificationsMethod(), responseObserver);
    }

    /**
     * <pre>
     * ListTeams returns every team cerebro knows (owning a declared task, or
     * having routes), with its routes, never their secrets.
     * </pre>
     */
    default void listTeams(dev.cordyna.v1.ListTeamsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTeamsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListTeamsMethod(), responseObserver);
    }
  }

  /**
   * Base class for the server implementation of the service ControlService.
   * <pre>
   * ControlService is for outsiders: the CLI, grpcurl, CI jobs, web pages.
   * </pre>
   */
  public static abstract class ControlServiceImplBase
      implements io.grpc.BindableService, AsyncService {

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return ControlServiceGrpc.bindService(this);
    }
  }

  /**
   * A stub to allow clients to do asynchronous rpc calls to service ControlService.
   * <pre>
   * ControlService is for outsiders: the CLI, grpcurl, CI jobs, web pages.
   * </pre>
   */
  public static final class ControlServiceStub
      extends io.grpc.stub.AbstractAsyncStub<ControlServiceStub> {
    private ControlServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ControlServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ControlServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * StartRun plans and starts a run. Fails with INVALID_ARGUMENT when no
     * target is given, NOT_FOUND naming every unknown target, and
     * FAILED_PRECONDITION naming every planned task that is unresolved.
     * A repeated idempotency_key returns the run it started first.
     * </pre>
     */
    public void startRun(dev.cordyna.v1.StartRunRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.StartRunResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getStartRunMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetRun returns one run; NOT_FOUND when there is none with that id, which
     * includes a finished run removed under the run retention.
     * </pre>
     */
    public void getRun(dev.cordyna.v1.GetRunRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.GetRunResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetRunMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListRuns returns the most recent runs first, a page at a time: pass
     * next_page_token back as page_token for the next page. Finished runs are
     * kept for a configured time and count only (cerebro's run retention).
     * </pre>
     */
    public void listRuns(dev.cordyna.v1.ListRunsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListRunsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListRunsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * CancelRun cancels a run's pending and running task-runs; NOT_FOUND when
     * there is no such run. Cancelling a finished run changes nothing.
     * </pre>
     */
    public void cancelRun(dev.cordyna.v1.CancelRunRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.CancelRunResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCancelRunMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListTasks returns every declared task and every unresolved upstream.
     * </pre>
     */
    public void listTasks(dev.cordyna.v1.ListTasksRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTasksResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListTasksMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetCandidate returns what the candidate of a change declared
     * (Hello.candidate), which cerebro keeps beside the live graph and
     * ListTasks leaves out: its server name and its tasks in the form
     * ListTasks gives the live ones, so that a client can compare the two
     * (dyna check --candidate). A method of its own rather than a candidate
     * field of ListTasksRequest: a TaskInfo tells of the live graph
     * (resolution, instances, completions, next fire time), none of which a
     * candidate has, so the field would change what every TaskInfo field
     * means. NOT_FOUND naming the change and the changes with candidates
     * connected when no candidate of the change is connected.
     * </pre>
     */
    public void getCandidate(dev.cordyna.v1.GetCandidateRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.GetCandidateResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetCandidateMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListServers returns every server name with a connected instance, or with
     * one connected within the server retention, with its instances.
     * </pre>
     */
    public void listServers(dev.cordyna.v1.ListServersRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListServersResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListServersMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ForgetServer removes a server name's declarations from the graph and the
     * store. FAILED_PRECONDITION while an instance of it is connected; NOT_FOUND
     * when it declares nothing.
     * </pre>
     */
    public void forgetServer(dev.cordyna.v1.ForgetServerRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ForgetServerResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getForgetServerMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetGraph returns the global task graph.
     * </pre>
     */
    public void getGraph(dev.cordyna.v1.GetGraphRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.GetGraphResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetGraphMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * WatchEvents streams events. With a run_id it first replays that run's
     * stored events (after after_seq or after_cursor when given), then follows
     * it live, and ends once the run's RUN_FINISHED event was sent: a finished
     * run's watch replays and ends at once. No event is sent twice or left out
     * at the switch from replay to live, which a message with caught_up marks.
     * Without a run_id it follows every event from now on, or replays first
     * from after_cursor or the newest `last` events, and never ends by itself.
     * NOT_FOUND for a run cerebro does not have.
     * </pre>
     */
    public void watchEvents(dev.cordyna.v1.WatchEventsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.WatchEventsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getWatchEventsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * GetTaskRunLogs returns one page of what an attempt of a task-run logged,
     * oldest first: pass next_after_seq back as after_seq for the next page.
     * NOT_FOUND when the run, the task-run or the attempt does not exist.
     * </pre>
     */
    public void getTaskRunLogs(dev.cordyna.v1.GetTaskRunLogsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.GetTaskRunLogsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetTaskRunLogsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * FollowTaskRunLogs sends what an attempt logged so far, then each line as
     * it is stored, and ends once the attempt has ended and every line it
     * logged was sent.
     * </pre>
     */
    public void followTaskRunLogs(dev.cordyna.v1.FollowTaskRunLogsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.FollowTaskRunLogsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getFollowTaskRunLogsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListTaskRuns lists one task's past task-runs, newest first, a page at a
     * time: pass next_page_token back as page_token for the next page.
     * </pre>
     */
    public void listTaskRuns(dev.cordyna.v1.ListTaskRunsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTaskRunsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListTaskRunsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Teams and their notification routes are here, not in AccessService:
     * a team's routes say where cerebro tells the team about its tasks (the
     * graph this service shows), and ListTeams is read from the declared
     * tasks; AccessService is about credentials and the audit trail only.
     * SetTeamNotifications adds routes to a team's notification routes, or
     * with `clear` replaces them (`clear` and no routes removes them all). A
     * route the team already has is kept as it is, with its webhook secret.
     * An admin may set any team's routes, an operator its own team's only.
     * FAILED_PRECONDITION when the team would have more than 10 routes.
     * </pre>
     */
    public void setTeamNotifications(dev.cordyna.v1.SetTeamNotificationsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.SetTeamNotificationsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getSetTeamNotificationsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * ListTeams returns every team cerebro knows (owning a declared task, or
     * having routes), with its routes, never their secrets.
     * </pre>
     */
    public void listTeams(dev.cordyna.v1.ListTeamsRequest request,
        io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTeamsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListTeamsMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * A stub to allow clients to do synchronous rpc calls to service ControlService.
   * <pre>
   * ControlService is for outsiders: the CLI, grpcurl, CI jobs, web pages.
   * </pre>
   */
  public static final class ControlServiceBlockingV2Stub
      extends io.grpc.stub.AbstractBlockingStub<ControlServiceBlockingV2Stub> {
    private ControlServiceBlockingV2Stub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ControlServiceBlockingV2Stub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ControlServiceBlockingV2Stub(channel, callOptions);
    }

    /**
     * <pre>
     * StartRun plans and starts a run. Fails with INVALID_ARGUMENT when no
     * target is given, NOT_FOUND naming every unknown target, and
     * FAILED_PRECONDITION naming every planned task that is unresolved.
     * A repeated idempotency_key returns the run it started first.
     * </pre>
     */
    public dev.cordyna.v1.StartRunResponse startRun(dev.cordyna.v1.StartRunRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getStartRunMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetRun returns one run; NOT_FOUND when there is none with that id, which
     * includes a finished run removed under the run retention.
     * </pre>
     */
    public dev.cordyna.v1.GetRunResponse getRun(dev.cordyna.v1.GetRunRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetRunMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListRuns returns the most recent runs first, a page at a time: pass
     * next_page_token back as page_token for the next page. Finished runs are
     * kept for a configured time and count only (cerebro's run retention).
     * </pre>
     */
    public dev.cordyna.v1.ListRunsResponse listRuns(dev.cordyna.v1.ListRunsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListRunsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CancelRun cancels a run's pending and running task-runs; NOT_FOUND when
     * there is no such run. Cancelling a finished run changes nothing.
     * </pre>
     */
    public dev.cordyna.v1.CancelRunResponse cancelRun(dev.cordyna.v1.CancelRunRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getCancelRunMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTasks returns every declared task and every unresolved upstream.
     * </pre>
     */
    public dev.cordyna.v1.ListTasksResponse listTasks(dev.cordyna.v1.ListTasksRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListTasksMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetCandidate returns what the candidate of a change declared
     * (Hello.candidate), which cerebro keeps beside the live graph and
     * ListTasks leaves out: its server name and its tasks in the form
     * ListTasks gives the live ones, so that a client can compare the two
     * (dyna check --candidate). A method of its own rather than a candidate
     * field of ListTasksRequest: a TaskInfo tells of the live graph
     * (resolution, instances, completions, next fire time), none of which a
     * candidate has, so the field would change what every TaskInfo field
     * means. NOT_FOUND naming the change and the changes with candidates
     * connected when no candidate of the change is connected.
     * </pre>
     */
    public dev.cordyna.v1.GetCandidateResponse getCandidate(dev.cordyna.v1.GetCandidateRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetCandidateMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListServers returns every server name with a connected instance, or with
     * one connected within the server retention, with its instances.
     * </pre>
     */
    public dev.cordyna.v1.ListServersResponse listServers(dev.cordyna.v1.ListServersRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListServersMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ForgetServer removes a server name's declarations from the graph and the
     * store. FAILED_PRECONDITION while an instance of it is connected; NOT_FOUND
     * when it declares nothing.
     * </pre>
     */
    public dev.cordyna.v1.ForgetServerResponse forgetServer(dev.cordyna.v1.ForgetServerRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getForgetServerMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetGraph returns the global task graph.
     * </pre>
     */
    public dev.cordyna.v1.GetGraphResponse getGraph(dev.cordyna.v1.GetGraphRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetGraphMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchEvents streams events. With a run_id it first replays that run's
     * stored events (after after_seq or after_cursor when given), then follows
     * it live, and ends once the run's RUN_FINISHED event was sent: a finished
     * run's watch replays and ends at once. No event is sent twice or left out
     * at the switch from replay to live, which a message with caught_up marks.
     * Without a run_id it follows every event from now on, or replays first
     * from after_cursor or the newest `last` events, and never ends by itself.
     * NOT_FOUND for a run cerebro does not have.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.cordyna.v1.WatchEventsResponse>
        watchEvents(dev.cordyna.v1.WatchEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getWatchEventsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetTaskRunLogs returns one page of what an attempt of a task-run logged,
     * oldest first: pass next_after_seq back as after_seq for the next page.
     * NOT_FOUND when the run, the task-run or the attempt does not exist.
     * </pre>
     */
    public dev.cordyna.v1.GetTaskRunLogsResponse getTaskRunLogs(dev.cordyna.v1.GetTaskRunLogsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getGetTaskRunLogsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FollowTaskRunLogs sends what an attempt logged so far, then each line as
     * it is stored, and ends once the attempt has ended and every line it
     * logged was sent.
     * </pre>
     */
    @io.grpc.ExperimentalApi("https://github.com/grpc/grpc-java/issues/10918")
    public io.grpc.stub.BlockingClientCall<?, dev.cordyna.v1.FollowTaskRunLogsResponse>
        followTaskRunLogs(dev.cordyna.v1.FollowTaskRunLogsRequest request) {
      return io.grpc.stub.ClientCalls.blockingV2ServerStreamingCall(
          getChannel(), getFollowTaskRunLogsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTaskRuns lists one task's past task-runs, newest first, a page at a
     * time: pass next_page_token back as page_token for the next page.
     * </pre>
     */
    public dev.cordyna.v1.ListTaskRunsResponse listTaskRuns(dev.cordyna.v1.ListTaskRunsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListTaskRunsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Teams and their notification routes are here, not in AccessService:
     * a team's routes say where cerebro tells the team about its tasks (the
     * graph this service shows), and ListTeams is read from the declared
     * tasks; AccessService is about credentials and the audit trail only.
     * SetTeamNotifications adds routes to a team's notification routes, or
     * with `clear` replaces them (`clear` and no routes removes them all). A
     * route the team already has is kept as it is, with its webhook secret.
     * An admin may set any team's routes, an operator its own team's only.
     * FAILED_PRECONDITION when the team would have more than 10 routes.
     * </pre>
     */
    public dev.cordyna.v1.SetTeamNotificationsResponse setTeamNotifications(dev.cordyna.v1.SetTeamNotificationsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getSetTeamNotificationsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTeams returns every team cerebro knows (owning a declared task, or
     * having routes), with its routes, never their secrets.
     * </pre>
     */
    public dev.cordyna.v1.ListTeamsResponse listTeams(dev.cordyna.v1.ListTeamsRequest request) throws io.grpc.StatusException {
      return io.grpc.stub.ClientCalls.blockingV2UnaryCall(
          getChannel(), getListTeamsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do limited synchronous rpc calls to service ControlService.
   * <pre>
   * ControlService is for outsiders: the CLI, grpcurl, CI jobs, web pages.
   * </pre>
   */
  public static final class ControlServiceBlockingStub
      extends io.grpc.stub.AbstractBlockingStub<ControlServiceBlockingStub> {
    private ControlServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ControlServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ControlServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * StartRun plans and starts a run. Fails with INVALID_ARGUMENT when no
     * target is given, NOT_FOUND naming every unknown target, and
     * FAILED_PRECONDITION naming every planned task that is unresolved.
     * A repeated idempotency_key returns the run it started first.
     * </pre>
     */
    public dev.cordyna.v1.StartRunResponse startRun(dev.cordyna.v1.StartRunRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getStartRunMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetRun returns one run; NOT_FOUND when there is none with that id, which
     * includes a finished run removed under the run retention.
     * </pre>
     */
    public dev.cordyna.v1.GetRunResponse getRun(dev.cordyna.v1.GetRunRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetRunMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListRuns returns the most recent runs first, a page at a time: pass
     * next_page_token back as page_token for the next page. Finished runs are
     * kept for a configured time and count only (cerebro's run retention).
     * </pre>
     */
    public dev.cordyna.v1.ListRunsResponse listRuns(dev.cordyna.v1.ListRunsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListRunsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * CancelRun cancels a run's pending and running task-runs; NOT_FOUND when
     * there is no such run. Cancelling a finished run changes nothing.
     * </pre>
     */
    public dev.cordyna.v1.CancelRunResponse cancelRun(dev.cordyna.v1.CancelRunRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCancelRunMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTasks returns every declared task and every unresolved upstream.
     * </pre>
     */
    public dev.cordyna.v1.ListTasksResponse listTasks(dev.cordyna.v1.ListTasksRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListTasksMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetCandidate returns what the candidate of a change declared
     * (Hello.candidate), which cerebro keeps beside the live graph and
     * ListTasks leaves out: its server name and its tasks in the form
     * ListTasks gives the live ones, so that a client can compare the two
     * (dyna check --candidate). A method of its own rather than a candidate
     * field of ListTasksRequest: a TaskInfo tells of the live graph
     * (resolution, instances, completions, next fire time), none of which a
     * candidate has, so the field would change what every TaskInfo field
     * means. NOT_FOUND naming the change and the changes with candidates
     * connected when no candidate of the change is connected.
     * </pre>
     */
    public dev.cordyna.v1.GetCandidateResponse getCandidate(dev.cordyna.v1.GetCandidateRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetCandidateMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListServers returns every server name with a connected instance, or with
     * one connected within the server retention, with its instances.
     * </pre>
     */
    public dev.cordyna.v1.ListServersResponse listServers(dev.cordyna.v1.ListServersRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListServersMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ForgetServer removes a server name's declarations from the graph and the
     * store. FAILED_PRECONDITION while an instance of it is connected; NOT_FOUND
     * when it declares nothing.
     * </pre>
     */
    public dev.cordyna.v1.ForgetServerResponse forgetServer(dev.cordyna.v1.ForgetServerRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getForgetServerMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetGraph returns the global task graph.
     * </pre>
     */
    public dev.cordyna.v1.GetGraphResponse getGraph(dev.cordyna.v1.GetGraphRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetGraphMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * WatchEvents streams events. With a run_id it first replays that run's
     * stored events (after after_seq or after_cursor when given), then follows
     * it live, and ends once the run's RUN_FINISHED event was sent: a finished
     * run's watch replays and ends at once. No event is sent twice or left out
     * at the switch from replay to live, which a message with caught_up marks.
     * Without a run_id it follows every event from now on, or replays first
     * from after_cursor or the newest `last` events, and never ends by itself.
     * NOT_FOUND for a run cerebro does not have.
     * </pre>
     */
    public java.util.Iterator<dev.cordyna.v1.WatchEventsResponse> watchEvents(
        dev.cordyna.v1.WatchEventsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getWatchEventsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * GetTaskRunLogs returns one page of what an attempt of a task-run logged,
     * oldest first: pass next_after_seq back as after_seq for the next page.
     * NOT_FOUND when the run, the task-run or the attempt does not exist.
     * </pre>
     */
    public dev.cordyna.v1.GetTaskRunLogsResponse getTaskRunLogs(dev.cordyna.v1.GetTaskRunLogsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetTaskRunLogsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * FollowTaskRunLogs sends what an attempt logged so far, then each line as
     * it is stored, and ends once the attempt has ended and every line it
     * logged was sent.
     * </pre>
     */
    public java.util.Iterator<dev.cordyna.v1.FollowTaskRunLogsResponse> followTaskRunLogs(
        dev.cordyna.v1.FollowTaskRunLogsRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getFollowTaskRunLogsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTaskRuns lists one task's past task-runs, newest first, a page at a
     * time: pass next_page_token back as page_token for the next page.
     * </pre>
     */
    public dev.cordyna.v1.ListTaskRunsResponse listTaskRuns(dev.cordyna.v1.ListTaskRunsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListTaskRunsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Teams and their notification routes are here, not in AccessService:
     * a team's routes say where cerebro tells the team about its tasks (the
     * graph this service shows), and ListTeams is read from the declared
     * tasks; AccessService is about credentials and the audit trail only.
     * SetTeamNotifications adds routes to a team's notification routes, or
     * with `clear` replaces them (`clear` and no routes removes them all). A
     * route the team already has is kept as it is, with its webhook secret.
     * An admin may set any team's routes, an operator its own team's only.
     * FAILED_PRECONDITION when the team would have more than 10 routes.
     * </pre>
     */
    public dev.cordyna.v1.SetTeamNotificationsResponse setTeamNotifications(dev.cordyna.v1.SetTeamNotificationsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getSetTeamNotificationsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * ListTeams returns every team cerebro knows (owning a declared task, or
     * having routes), with its routes, never their secrets.
     * </pre>
     */
    public dev.cordyna.v1.ListTeamsResponse listTeams(dev.cordyna.v1.ListTeamsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListTeamsMethod(), getCallOptions(), request);
    }
  }

  /**
   * A stub to allow clients to do ListenableFuture-style rpc calls to service ControlService.
   * <pre>
   * ControlService is for outsiders: the CLI, grpcurl, CI jobs, web pages.
   * </pre>
   */
  public static final class ControlServiceFutureStub
      extends io.grpc.stub.AbstractFutureStub<ControlServiceFutureStub> {
    private ControlServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ControlServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ControlServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * StartRun plans and starts a run. Fails with INVALID_ARGUMENT when no
     * target is given, NOT_FOUND naming every unknown target, and
     * FAILED_PRECONDITION naming every planned task that is unresolved.
     * A repeated idempotency_key returns the run it started first.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.StartRunResponse> startRun(
        dev.cordyna.v1.StartRunRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getStartRunMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetRun returns one run; NOT_FOUND when there is none with that id, which
     * includes a finished run removed under the run retention.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.GetRunResponse> getRun(
        dev.cordyna.v1.GetRunRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetRunMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListRuns returns the most recent runs first, a page at a time: pass
     * next_page_token back as page_token for the next page. Finished runs are
     * kept for a configured time and count only (cerebro's run retention).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.ListRunsResponse> listRuns(
        dev.cordyna.v1.ListRunsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListRunsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * CancelRun cancels a run's pending and running task-runs; NOT_FOUND when
     * there is no such run. Cancelling a finished run changes nothing.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.CancelRunResponse> cancelRun(
        dev.cordyna.v1.CancelRunRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCancelRunMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListTasks returns every declared task and every unresolved upstream.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.ListTasksResponse> listTasks(
        dev.cordyna.v1.ListTasksRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListTasksMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetCandidate returns what the candidate of a change declared
     * (Hello.candidate), which cerebro keeps beside the live graph and
     * ListTasks leaves out: its server name and its tasks in the form
     * ListTasks gives the live ones, so that a client can compare the two
     * (dyna check --candidate). A method of its own rather than a candidate
     * field of ListTasksRequest: a TaskInfo tells of the live graph
     * (resolution, instances, completions, next fire time), none of which a
     * candidate has, so the field would change what every TaskInfo field
     * means. NOT_FOUND naming the change and the changes with candidates
     * connected when no candidate of the change is connected.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.GetCandidateResponse> getCandidate(
        dev.cordyna.v1.GetCandidateRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetCandidateMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListServers returns every server name with a connected instance, or with
     * one connected within the server retention, with its instances.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.ListServersResponse> listServers(
        dev.cordyna.v1.ListServersRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListServersMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ForgetServer removes a server name's declarations from the graph and the
     * store. FAILED_PRECONDITION while an instance of it is connected; NOT_FOUND
     * when it declares nothing.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.ForgetServerResponse> forgetServer(
        dev.cordyna.v1.ForgetServerRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getForgetServerMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetGraph returns the global task graph.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.GetGraphResponse> getGraph(
        dev.cordyna.v1.GetGraphRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetGraphMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * GetTaskRunLogs returns one page of what an attempt of a task-run logged,
     * oldest first: pass next_after_seq back as after_seq for the next page.
     * NOT_FOUND when the run, the task-run or the attempt does not exist.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.GetTaskRunLogsResponse> getTaskRunLogs(
        dev.cordyna.v1.GetTaskRunLogsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetTaskRunLogsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListTaskRuns lists one task's past task-runs, newest first, a page at a
     * time: pass next_page_token back as page_token for the next page.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.ListTaskRunsResponse> listTaskRuns(
        dev.cordyna.v1.ListTaskRunsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListTaskRunsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Teams and their notification routes are here, not in AccessService:
     * a team's routes say where cerebro tells the team about its tasks (the
     * graph this service shows), and ListTeams is read from the declared
     * tasks; AccessService is about credentials and the audit trail only.
     * SetTeamNotifications adds routes to a team's notification routes, or
     * with `clear` replaces them (`clear` and no routes removes them all). A
     * route the team already has is kept as it is, with its webhook secret.
     * An admin may set any team's routes, an operator its own team's only.
     * FAILED_PRECONDITION when the team would have more than 10 routes.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.SetTeamNotificationsResponse> setTeamNotifications(
        dev.cordyna.v1.SetTeamNotificationsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getSetTeamNotificationsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * ListTeams returns every team cerebro knows (owning a declared task, or
     * having routes), with its routes, never their secrets.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.cordyna.v1.ListTeamsResponse> listTeams(
        dev.cordyna.v1.ListTeamsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListTeamsMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_START_RUN = 0;
  private static final int METHODID_GET_RUN = 1;
  private static final int METHODID_LIST_RUNS = 2;
  private static final int METHODID_CANCEL_RUN = 3;
  private static final int METHODID_LIST_TASKS = 4;
  private static final int METHODID_GET_CANDIDATE = 5;
  private static final int METHODID_LIST_SERVERS = 6;
  private static final int METHODID_FORGET_SERVER = 7;
  private static final int METHODID_GET_GRAPH = 8;
  private static final int METHODID_WATCH_EVENTS = 9;
  private static final int METHODID_GET_TASK_RUN_LOGS = 10;
  private static final int METHODID_FOLLOW_TASK_RUN_LOGS = 11;
  private static final int METHODID_LIST_TASK_RUNS = 12;
  private static final int METHODID_SET_TEAM_NOTIFICATIONS = 13;
  private static final int METHODID_LIST_TEAMS = 14;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AsyncService serviceImpl;
    private final int methodId;

    MethodHandlers(AsyncService serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_START_RUN:
          serviceImpl.startRun((dev.cordyna.v1.StartRunRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.StartRunResponse>) responseObserver);
          break;
        case METHODID_GET_RUN:
          serviceImpl.getRun((dev.cordyna.v1.GetRunRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.GetRunResponse>) responseObserver);
          break;
        case METHODID_LIST_RUNS:
          serviceImpl.listRuns((dev.cordyna.v1.ListRunsRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.ListRunsResponse>) responseObserver);
          break;
        case METHODID_CANCEL_RUN:
          serviceImpl.cancelRun((dev.cordyna.v1.CancelRunRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.CancelRunResponse>) responseObserver);
          break;
        case METHODID_LIST_TASKS:
          serviceImpl.listTasks((dev.cordyna.v1.ListTasksRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTasksResponse>) responseObserver);
          break;
        case METHODID_GET_CANDIDATE:
          serviceImpl.getCandidate((dev.cordyna.v1.GetCandidateRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.GetCandidateResponse>) responseObserver);
          break;
        case METHODID_LIST_SERVERS:
          serviceImpl.listServers((dev.cordyna.v1.ListServersRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.ListServersResponse>) responseObserver);
          break;
        case METHODID_FORGET_SERVER:
          serviceImpl.forgetServer((dev.cordyna.v1.ForgetServerRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.ForgetServerResponse>) responseObserver);
          break;
        case METHODID_GET_GRAPH:
          serviceImpl.getGraph((dev.cordyna.v1.GetGraphRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.GetGraphResponse>) responseObserver);
          break;
        case METHODID_WATCH_EVENTS:
          serviceImpl.watchEvents((dev.cordyna.v1.WatchEventsRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.WatchEventsResponse>) responseObserver);
          break;
        case METHODID_GET_TASK_RUN_LOGS:
          serviceImpl.getTaskRunLogs((dev.cordyna.v1.GetTaskRunLogsRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.GetTaskRunLogsResponse>) responseObserver);
          break;
        case METHODID_FOLLOW_TASK_RUN_LOGS:
          serviceImpl.followTaskRunLogs((dev.cordyna.v1.FollowTaskRunLogsRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.FollowTaskRunLogsResponse>) responseObserver);
          break;
        case METHODID_LIST_TASK_RUNS:
          serviceImpl.listTaskRuns((dev.cordyna.v1.ListTaskRunsRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTaskRunsResponse>) responseObserver);
          break;
        case METHODID_SET_TEAM_NOTIFICATIONS:
          serviceImpl.setTeamNotifications((dev.cordyna.v1.SetTeamNotificationsRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.SetTeamNotificationsResponse>) responseObserver);
          break;
        case METHODID_LIST_TEAMS:
          serviceImpl.listTeams((dev.cordyna.v1.ListTeamsRequest) request,
              (io.grpc.stub.StreamObserver<dev.cordyna.v1.ListTeamsResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  public static final io.grpc.ServerServiceDefinition bindService(AsyncService service) {
    return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
        .addMethod(
          getStartRunMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.StartRunRequest,
              dev.cordyna.v1.StartRunResponse>(
                service, METHODID_START_RUN)))
        .addMethod(
          getGetRunMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.GetRunRequest,
              dev.cordyna.v1.GetRunResponse>(
                service, METHODID_GET_RUN)))
        .addMethod(
          getListRunsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.ListRunsRequest,
              dev.cordyna.v1.ListRunsResponse>(
                service, METHODID_LIST_RUNS)))
        .addMethod(
          getCancelRunMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.CancelRunRequest,
              dev.cordyna.v1.CancelRunResponse>(
                service, METHODID_CANCEL_RUN)))
        .addMethod(
          getListTasksMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.ListTasksRequest,
              dev.cordyna.v1.ListTasksResponse>(
                service, METHODID_LIST_TASKS)))
        .addMethod(
          getGetCandidateMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.GetCandidateRequest,
              dev.cordyna.v1.GetCandidateResponse>(
                service, METHODID_GET_CANDIDATE)))
        .addMethod(
          getListServersMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.ListServersRequest,
              dev.cordyna.v1.ListServersResponse>(
                service, METHODID_LIST_SERVERS)))
        .addMethod(
          getForgetServerMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.ForgetServerRequest,
              dev.cordyna.v1.ForgetServerResponse>(
                service, METHODID_FORGET_SERVER)))
        .addMethod(
          getGetGraphMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.GetGraphRequest,
              dev.cordyna.v1.GetGraphResponse>(
                service, METHODID_GET_GRAPH)))
        .addMethod(
          getWatchEventsMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.cordyna.v1.WatchEventsRequest,
              dev.cordyna.v1.WatchEventsResponse>(
                service, METHODID_WATCH_EVENTS)))
        .addMethod(
          getGetTaskRunLogsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.GetTaskRunLogsRequest,
              dev.cordyna.v1.GetTaskRunLogsResponse>(
                service, METHODID_GET_TASK_RUN_LOGS)))
        .addMethod(
          getFollowTaskRunLogsMethod(),
          io.grpc.stub.ServerCalls.asyncServerStreamingCall(
            new MethodHandlers<
              dev.cordyna.v1.FollowTaskRunLogsRequest,
              dev.cordyna.v1.FollowTaskRunLogsResponse>(
                service, METHODID_FOLLOW_TASK_RUN_LOGS)))
        .addMethod(
          getListTaskRunsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.ListTaskRunsRequest,
              dev.cordyna.v1.ListTaskRunsResponse>(
                service, METHODID_LIST_TASK_RUNS)))
        .addMethod(
          getSetTeamNotificationsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.SetTeamNotificationsRequest,
              dev.cordyna.v1.SetTeamNotificationsResponse>(
                service, METHODID_SET_TEAM_NOTIFICATIONS)))
        .addMethod(
          getListTeamsMethod(),
          io.grpc.stub.ServerCalls.asyncUnaryCall(
            new MethodHandlers<
              dev.cordyna.v1.ListTeamsRequest,
              dev.cordyna.v1.ListTeamsResponse>(
                service, METHODID_LIST_TEAMS)))
        .build();
  }

  private static abstract class ControlServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    ControlServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.cordyna.v1.ControlProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("ControlService");
    }
  }

  private static final class ControlServiceFileDescriptorSupplier
      extends ControlServiceBaseDescriptorSupplier {
    ControlServiceFileDescriptorSupplier() {}
  }

  private static final class ControlServiceMethodDescriptorSupplier
      extends ControlServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final java.lang.String methodName;

    ControlServiceMethodDescriptorSupplier(java.lang.String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (ControlServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new ControlServiceFileDescriptorSupplier())
              .addMethod(getStartRunMethod())
              .addMethod(getGetRunMethod())
              .addMethod(getListRunsMethod())
              .addMethod(getCancelRunMethod())
              .addMethod(getListTasksMethod())
              .addMethod(getGetCandidateMethod())
              .addMethod(getListServersMethod())
              .addMethod(getForgetServerMethod())
              .addMethod(getGetGraphMethod())
              .addMethod(getWatchEventsMethod())
              .addMethod(getGetTaskRunLogsMethod())
              .addMethod(getFollowTaskRunLogsMethod())
              .addMethod(getListTaskRunsMethod())
              .addMethod(getSetTeamNotificationsMethod())
              .addMethod(getListTeamsMethod())
              .build();
        }
      }
    }
    return result;
  }
}
