// The addon's JavaScript face: a NativePlane class (Napi::ObjectWrap) over zzs::Plane, with
// an explicit start() and stop(); errors are JavaScript Errors carrying a code. JavaScript
// is called only for rare events, through a thread-safe function.

#include <napi.h>

#include <future>
#include <memory>
#include <string>

#include "plane.h"

namespace {

using zzs::Event;
using zzs::Plane;

Napi::Error errorWithCode(Napi::Env env, const std::string& message, const char* code) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

std::string stringOf(const Napi::Object& object, const char* key) { return object.Get(key).As<Napi::String>().Utf8Value(); }
double numberOf(const Napi::Object& object, const char* key) { return object.Get(key).As<Napi::Number>().DoubleValue(); }

std::vector<std::string> stringsOf(const Napi::Object& object, const char* key) {
  Napi::Array array = object.Get(key).As<Napi::Array>();
  std::vector<std::string> strings;
  for (uint32_t i = 0; i < array.Length(); i++) strings.push_back(array.Get(i).As<Napi::String>().Utf8Value());
  return strings;
}

std::vector<zzs::EndpointConfig> endpointsOf(const Napi::Array& endpoints);

zzs::PlaneConfig readConfig(const Napi::Object& object) {
  zzs::PlaneConfig config;
  config.inputs = stringsOf(object, "inputs");
  config.maxRecordBytes = static_cast<uint64_t>(numberOf(object, "maxRecordBytes"));
  config.maxPaths = static_cast<uint32_t>(numberOf(object, "maxPaths"));
  config.pathIdleMs = static_cast<int64_t>(numberOf(object, "pathIdleS") * 1000);
  config.memoryLimitBytes = static_cast<uint64_t>(numberOf(object, "memoryLimitBytes"));
  config.endpoints = endpointsOf(object.Get("endpoints").As<Napi::Array>());
  return config;
}

std::vector<zzs::EndpointConfig> endpointsOf(const Napi::Array& endpoints) {
  std::vector<zzs::EndpointConfig> list;
  for (uint32_t i = 0; i < endpoints.Length(); i++) {
    Napi::Object e = endpoints.Get(i).As<Napi::Object>();
    zzs::EndpointConfig endpoint;
    endpoint.name = stringOf(e, "name");
    endpoint.address = stringOf(e, "address");
    endpoint.bind = stringOf(e, "mode") == "bind";
    endpoint.tcp = stringOf(e, "transport") == "tcp";
    endpoint.hwm = static_cast<uint64_t>(numberOf(e, "hwm"));
    endpoint.hwmBytes = static_cast<uint64_t>(numberOf(e, "hwmBytes"));
    endpoint.lingerMs = static_cast<int64_t>(numberOf(e, "lingerMs"));
    endpoint.include = stringsOf(e, "include");
    endpoint.exclude = stringsOf(e, "exclude");
    endpoint.peerTimeoutMs = static_cast<int64_t>(numberOf(e, "peerTimeoutMs"));
    endpoint.maxTopicBytes = static_cast<uint64_t>(numberOf(e, "maxTopicBytes"));
    endpoint.maxSubscriptions = static_cast<uint64_t>(numberOf(e, "maxSubscriptions"));
    list.push_back(std::move(endpoint));
  }
  return list;
}

template <typename Counters>
Napi::Array countsArray(Napi::Env env, const Counters& counters, int size) {
  Napi::Array array = Napi::Array::New(env, size);
  for (int i = 0; i < size; i++) array.Set(i, Napi::Number::New(env, static_cast<double>(counters[i].get())));
  return array;
}

Napi::Array namesArray(Napi::Env env, const char* const* names, int size) {
  Napi::Array array = Napi::Array::New(env, size);
  for (int i = 0; i < size; i++) array.Set(i, Napi::String::New(env, names[i]));
  return array;
}

void deliverEvent(Napi::Env env, Napi::Function onEvent, Event* event) {
  std::unique_ptr<Event> owned(event);
  if (env == nullptr) return;  // the function is being torn down
  onEvent.Call({Napi::String::New(env, owned->level), Napi::String::New(env, owned->message), Napi::String::New(env, owned->fields)});
}

/** Waits for the plane's thread and libzmq's lingers off Node.js's main thread. */
class StopWorker : public Napi::AsyncWorker {
 public:
  StopWorker(Napi::Env env, std::shared_ptr<Plane> plane, Napi::ThreadSafeFunction events)
      : Napi::AsyncWorker(env), plane_(std::move(plane)), events_(events), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    plane_->join();
    plane_->finish();
  }

  void OnOK() override {
    if (events_) events_.Release();
    deferred_.Resolve(Env().Undefined());
  }

 private:
  std::shared_ptr<Plane> plane_;
  Napi::ThreadSafeFunction events_;
  Napi::Promise::Deferred deferred_;
};

/** Waits off Node.js's main thread for the plane's thread to carry out a reconfigure. */
class ReconfigureWorker : public Napi::AsyncWorker {
 public:
  ReconfigureWorker(Napi::Env env, std::shared_ptr<Plane> plane, std::future<zzs::ReconfigureResult> done)
      : Napi::AsyncWorker(env), plane_(std::move(plane)), done_(std::move(done)), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      result_ = done_.get();
    } catch (const std::exception& error) {
      SetError(std::string("the native plane did not finish the reconfigure: ") + error.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object report = Napi::Object::New(env);
    Napi::Array retired = Napi::Array::New(env, result_.retired.size());
    for (size_t i = 0; i < result_.retired.size(); i++) {
      const auto& summary = result_.retired[i];
      Napi::Object e = Napi::Object::New(env);
      e.Set("name", Napi::String::New(env, summary.name));
      e.Set("sent", Napi::Number::New(env, static_cast<double>(summary.sent)));
      e.Set("filtered", Napi::Number::New(env, static_cast<double>(summary.filtered)));
      Napi::Array dropped = Napi::Array::New(env, zzs::kDropReasons);
      for (int reason = 0; reason < zzs::kDropReasons; reason++) dropped.Set(reason, Napi::Number::New(env, static_cast<double>(summary.dropped[reason])));
      e.Set("dropped", dropped);
      retired.Set(i, e);
    }
    report.Set("retired", retired);
    Napi::Array opened = Napi::Array::New(env, result_.opened.size());
    for (size_t i = 0; i < result_.opened.size(); i++) opened.Set(i, Napi::String::New(env, result_.opened[i]));
    report.Set("opened", opened);
    Napi::Array failed = Napi::Array::New(env, result_.failed.size());
    for (size_t i = 0; i < result_.failed.size(); i++) {
      Napi::Object f = Napi::Object::New(env);
      f.Set("endpoint", Napi::String::New(env, result_.failed[i].first));
      f.Set("error", Napi::String::New(env, result_.failed[i].second));
      failed.Set(i, f);
    }
    report.Set("failed", failed);
    deferred_.Resolve(report);
  }

 private:
  std::shared_ptr<Plane> plane_;  // kept alive while its thread may still answer
  std::future<zzs::ReconfigureResult> done_;
  zzs::ReconfigureResult result_;
  Napi::Promise::Deferred deferred_;
};

class NativePlane : public Napi::ObjectWrap<NativePlane> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativePlane",
                       {InstanceMethod<&NativePlane::Start>("start"), InstanceMethod<&NativePlane::Stop>("stop"),
                        InstanceMethod<&NativePlane::Reconfigure>("reconfigure"),
                        InstanceMethod<&NativePlane::Snapshot>("snapshot")});
  }

  NativePlane(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativePlane>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      throw Napi::TypeError::New(env, "new NativePlane(config, onEvent)");
    }
    config_ = readConfig(info[0].As<Napi::Object>());
    onEvent_ = Napi::Persistent(info[1].As<Napi::Function>());
  }

  ~NativePlane() override {
    // Collected while running (a plane nobody stopped): nothing is held back.
    if (plane_ && plane_->running()) {
      plane_->requestStop(false);
      plane_->join();
    }
    if (events_) events_.Release();
  }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (plane_) throw errorWithCode(env, "the native plane was started already", "ERR_STATE");
    events_ = Napi::ThreadSafeFunction::New(env, onEvent_.Value(), "zeek-zmq-plane-events", 0, 1);
    Napi::ThreadSafeFunction events = events_;
    plane_ = std::make_shared<Plane>(config_, [events](Event&& event) mutable {
      // Rare events only; if Node.js is going away the event is lost, not the plane.
      auto* owned = new Event(std::move(event));
      if (events.NonBlockingCall(owned, deliverEvent) != napi_ok) delete owned;
    });
    std::string problem = plane_->start();
    if (!problem.empty()) {
      events_.Release();
      events_ = Napi::ThreadSafeFunction();
      throw errorWithCode(env, problem, "ERR_BIND");
    }
    Napi::Array inputs = Napi::Array::New(env);
    for (const auto& address : plane_->inputAddresses()) inputs.Set(inputs.Length(), Napi::String::New(env, address));
    return inputs;
  }

  /** stop(drain): resolves once the thread has ended and libzmq's lingers are over. */
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!plane_) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    plane_->requestStop(info.Length() > 0 && info[0].ToBoolean().Value());
    auto* worker = new StopWorker(env, plane_, events_);
    events_ = Napi::ThreadSafeFunction();
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
  }

  /** reconfigure(endpoints, keep): resolves once retired endpoints have closed and new ones opened. */
  Napi::Value Reconfigure(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsArray()) throw Napi::TypeError::New(env, "reconfigure(endpoints, keep)");
    if (!plane_) throw errorWithCode(env, "the native plane is not started", "ERR_STATE");
    std::vector<zzs::EndpointConfig> endpoints = endpointsOf(info[0].As<Napi::Array>());
    Napi::Array keepArray = info[1].As<Napi::Array>();
    if (keepArray.Length() != endpoints.size()) throw Napi::TypeError::New(env, "reconfigure: one keep index per endpoint");
    std::vector<int> keep;
    for (uint32_t i = 0; i < keepArray.Length(); i++) keep.push_back(keepArray.Get(i).As<Napi::Number>().Int32Value());
    auto* worker = new ReconfigureWorker(env, plane_, plane_->reconfigure(std::move(endpoints), std::move(keep)));
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object snapshot = Napi::Object::New(env);
    if (!plane_) return env.Null();
    const auto& input = plane_->input();
    Napi::Object in = Napi::Object::New(env);
    Napi::Array addresses = Napi::Array::New(env);
    for (const auto& address : plane_->inputAddresses()) addresses.Set(addresses.Length(), Napi::String::New(env, address));
    in.Set("addresses", addresses);
    in.Set("bytes", Napi::Number::New(env, static_cast<double>(input.bytes.get())));
    in.Set("rejected", countsArray(env, input.rejected, zzs::kRejectReasons));
    in.Set("disconnects", countsArray(env, input.disconnects, zzs::kDisconnectReasons));
    snapshot.Set("input", in);

    auto& endpoints = plane_->endpoints();
    // The table's mutex keeps paths from being added or forgotten while they are read,
    // so that each endpoint's sends by path and sends of forgotten paths add up.
    std::lock_guard<std::mutex> hold(plane_->paths().mutex());
    Napi::Array paths = Napi::Array::New(env);
    std::vector<uint32_t> ids;
    for (const auto& slot : plane_->paths().slots()) {
      if (!slot) continue;
      Napi::Object path = Napi::Object::New(env);
      path.Set("name", Napi::String::New(env, slot->name));
      path.Set("records", Napi::Number::New(env, static_cast<double>(slot->records.get())));
      Napi::Array admitted = Napi::Array::New(env, slot->admitted.size());
      for (size_t i = 0; i < slot->admitted.size(); i++) admitted.Set(i, Napi::Boolean::New(env, slot->admitted[i]));
      path.Set("admitted", admitted);
      paths.Set(paths.Length(), path);
      ids.push_back(slot->id);
    }
    snapshot.Set("paths", paths);

    Napi::Array list = Napi::Array::New(env, endpoints.size());
    for (size_t e = 0; e < endpoints.size(); e++) {
      zzs::Endpoint& endpoint = *endpoints[e];
      zzs::EndpointCounters& counters = endpoint.counters();
      Napi::Object out = Napi::Object::New(env);
      out.Set("name", Napi::String::New(env, endpoint.config().name));
      out.Set("address", Napi::String::New(env, endpoint.address()));
      out.Set("open", Napi::Boolean::New(env, counters.open.load()));
      uint64_t sent = counters.sentForgotten.get();
      for (const auto& counter : counters.sentByPath) sent += counter.get();
      out.Set("sent", Napi::Number::New(env, static_cast<double>(sent)));
      Napi::Array byPath = Napi::Array::New(env, ids.size());
      for (size_t i = 0; i < ids.size(); i++) byPath.Set(i, Napi::Number::New(env, static_cast<double>(counters.sentByPath[ids[i]].get())));
      out.Set("sentByPath", byPath);
      out.Set("sentBytes", Napi::Number::New(env, static_cast<double>(counters.sentBytes.get())));
      out.Set("filtered", Napi::Number::New(env, static_cast<double>(counters.filtered.get())));
      out.Set("dropped", countsArray(env, counters.dropped, zzs::kDropReasons));
      out.Set("queueRecords", Napi::Number::New(env, static_cast<double>(endpoint.queue().publishedLength().get())));
      out.Set("queueCapacity", Napi::Number::New(env, static_cast<double>(endpoint.queue().capacity())));
      out.Set("queueBytes", Napi::Number::New(env, static_cast<double>(endpoint.queue().publishedBytes().get())));
      out.Set("queueCapacityBytes", Napi::Number::New(env, static_cast<double>(endpoint.queue().capacityBytes())));
      out.Set("peers", Napi::Number::New(env, static_cast<double>(counters.peers.load(std::memory_order_relaxed))));
      out.Set("topics", Napi::Number::New(env, static_cast<double>(endpoint.subscriptions().size().get())));
      out.Set("topicComparisons", Napi::Number::New(env, static_cast<double>(endpoint.subscriptions().comparisons().get())));
      out.Set("subscriptionsRejected", countsArray(env, counters.subscriptionsRejected, zzs::kSubscriptionRejects));
      out.Set("resets", Napi::Number::New(env, static_cast<double>(counters.resets.get())));
      out.Set("fullPauses", Napi::Number::New(env, static_cast<double>(counters.fullPauses.get())));
      list.Set(e, out);
    }
    snapshot.Set("endpoints", list);
    snapshot.Set("internalErrors", Napi::Number::New(env, static_cast<double>(plane_->internalErrors().get())));
    return snapshot;
  }

  zzs::PlaneConfig config_;
  Napi::FunctionReference onEvent_;
  Napi::ThreadSafeFunction events_;
  std::shared_ptr<Plane> plane_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativePlane", NativePlane::Define(env));
  Napi::Object reasons = Napi::Object::New(env);
  reasons.Set("reject", namesArray(env, zzs::kRejectNames, zzs::kRejectReasons));
  reasons.Set("disconnect", namesArray(env, zzs::kDisconnectNames, zzs::kDisconnectReasons));
  reasons.Set("drop", namesArray(env, zzs::kDropNames, zzs::kDropReasons));
  reasons.Set("subscriptionReject", namesArray(env, zzs::kSubscriptionRejectNames, zzs::kSubscriptionRejects));
  exports.Set("reasons", reasons);
  int major = 0, minor = 0, patch = 0;
  zmq_version(&major, &minor, &patch);
  exports.Set("libzmqVersion", Napi::String::New(env, std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch)));
  return exports;
}

}  // namespace

NODE_API_MODULE(zeek_zmq_native, Init)
