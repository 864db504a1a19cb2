"""boto3 compresses large PutMetricData requests (the model's `requestcompression`: gzip from
10 KiB up, `Content-Encoding: gzip`); cutover must read them like any other request."""

from conftest import make_client


def test_large_put_metric_data_is_compressed_and_accepted(server):
    cw = make_client("cloudwatch")
    sent = {}

    def capture(request, **_):
        sent["encoding"] = request.headers.get("Content-Encoding")
        sent["size"] = len(request.body or b"")

    cw.meta.events.register("before-send.cloudwatch.PutMetricData", capture)
    data = [
        {
            "MetricName": f"Latency{i}",
            "Dimensions": [{"Name": "Service", "Value": f"threads-{i:04d}-" + "x" * 40}],
            "Value": float(i),
            "Unit": "Milliseconds",
        }
        for i in range(300)
    ]
    cw.put_metric_data(Namespace="Cutover/Test", MetricData=data)
    enc = sent["encoding"].decode() if isinstance(sent["encoding"], bytes) else sent["encoding"]
    assert enc == "gzip", sent  # botocore really compressed it
    # Before cutover inflated gzip bodies this call failed: the codec read the compressed bytes.
    # A compressed request with a mistake in it gets the service's own validation error.
    try:
        cw.put_metric_data(Namespace="AWS/Reserved", MetricData=data)
        raise AssertionError("a reserved namespace must be refused")
    except cw.exceptions.InvalidParameterValueException as e:
        assert "AWS/Reserved" in str(e)


def test_small_put_metric_data_is_sent_plain(server):
    cw = make_client("cloudwatch")
    sent = {}
    cw.meta.events.register(
        "before-send.cloudwatch.PutMetricData",
        lambda request, **_: sent.setdefault("encoding", request.headers.get("Content-Encoding")),
    )
    cw.put_metric_data(Namespace="Cutover/Test", MetricData=[{"MetricName": "One", "Value": 1.0}])
    assert sent["encoding"] is None
