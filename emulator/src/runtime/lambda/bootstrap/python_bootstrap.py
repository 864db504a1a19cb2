# cutover's Lambda runtime client for Python functions. Written for cutover; it speaks the Lambda
# Runtime API (AWS_LAMBDA_RUNTIME_API) and runs the handler named by _HANDLER from LAMBDA_TASK_ROOT.
import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"
CURRENT = {"id": None}
# Written to stdout and stderr after each invocation, before its result is posted: when cutover has
# read it from both pipes, it has all the invocation's output (no waiting for the pipes to go quiet).
LOG_MARK = os.environ.pop("_CUTOVER_LOG_MARK", "")


class RuntimeAPI:
    """A small HTTP/1.1 client on one keep-alive connection to the Runtime API (cutover's own
    server), cheaper to import and to call than urllib."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.address = (host, int(port))
        self.sock = None
        self.buf = b""

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the Runtime API closed the connection")
        self.buf += chunk

    def _until(self, sep):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(sep):]
                return out
            self._fill()

    def _exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _exchange(self, method, path, body, headers):
        if self.sock is None:
            self.sock = socket.create_connection(self.address)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = ["%s %s%s HTTP/1.1" % (method, BASE, path), "Host: " + API, "Content-Length: %d" % len(body)]
        lines.extend("%s: %s" % kv for kv in headers.items())
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = self._until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        hdrs = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            data = self._exactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self._until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self._until(b"\r\n")
                    break
                parts.append(self._exactly(size))
                self._exactly(2)
            data = b"".join(parts)
        else:
            data = self.buf
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.close()
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        return status, hdrs, data

    def call(self, method, path, body=None, headers=None):
        try:
            return self._exchange(method, path, body or b"", headers or {})
        except (ConnectionError, OSError):
            # A keep-alive connection the server closed: once more on a new one.
            self.close()
            return self._exchange(method, path, body or b"", headers or {})


RUNTIME = RuntimeAPI(API)


def call(method, path, body=None, headers=None):
    return RUNTIME.call(method, path, body, headers)


def mark_end(request_id):
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    if LOG_MARK:
        line = ("%s %s\n" % (LOG_MARK, request_id)).encode()
        for fd in (1, 2):
            try:
                os.write(fd, line)
            except OSError:
                pass


def one_event(text):
    # Several lines in one log event: the emulator turns \r back into \n.
    return text.replace("\r\n", "\r").replace("\n", "\r")


class LambdaLogHandler(logging.Handler):
    def emit(self, record):
        try:
            msg = self.format(record)
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            ms = int(record.msecs)
            line = "[%s]\t%s.%03dZ\t%s\t%s" % (record.levelname, ts, ms, CURRENT["id"] or "", msg)
            sys.stdout.write(one_event(line) + "\n")
            sys.stdout.flush()
        except Exception:
            pass


def setup_logging():
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(LambdaLogHandler())
    root.setLevel(logging.WARNING)


def error_body(exc, error_type=None):
    tb = traceback.extract_tb(exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": CURRENT["id"] or "",
        "stackTrace": traceback.format_list(tb),
    }


def log_error(body, exc=None):
    text = "[ERROR] %s: %s" % (body["errorType"], body["errorMessage"])
    if exc is not None:
        text += "\nTraceback (most recent call last):\n" + "".join(body["stackTrace"])
    sys.stdout.write(one_event(text) + "\n")
    sys.stdout.flush()


def init_error(message, error_type, exc=None):
    body = {"errorMessage": message, "errorType": error_type, "requestId": "", "stackTrace": []}
    if exc is not None and error_type == "Runtime.UserCodeSyntaxError":
        body["stackTrace"] = traceback.format_exception_only(type(exc), exc)
    log_error(body)
    try:
        call("POST", "/init/error", json.dumps(body).encode(), {"Lambda-Runtime-Function-Error-Type": error_type})
    finally:
        sys.exit(1)


def load_handler():
    handler = os.environ.get("_HANDLER", "")
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    try:
        module_path, func_name = handler.rsplit(".", 1)
    except ValueError as e:
        init_error("Bad handler '%s': %s" % (handler, e), "Runtime.MalformedHandlerName")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as e:
        init_error("Syntax error in module '%s': %s" % (module_name, e), "Runtime.UserCodeSyntaxError", e)
    except ImportError as e:
        init_error("Unable to import module '%s': %s" % (module_name, e), "Runtime.ImportModuleError", e)
    except Exception as e:
        body = error_body(e)
        log_error(body, e)
        call("POST", "/init/error", json.dumps(body).encode(), {"Lambda-Runtime-Function-Error-Type": body["errorType"]})
        sys.exit(1)
    func = getattr(module, func_name, None)
    if func is None:
        init_error("Handler '%s' missing on module '%s'" % (func_name, module_name), "Runtime.HandlerNotFound")
    return func


class Context:
    def __init__(self, request_id, deadline_ms, invoked_arn):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)


def main():
    setup_logging()
    func = load_handler()
    while True:
        _, headers, body = call("GET", "/invocation/next")
        headers = {k.lower(): v for k, v in headers.items()}
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        CURRENT["id"] = request_id
        if headers.get("lambda-runtime-trace-id"):
            os.environ["_X_AMZN_TRACE_ID"] = headers["lambda-runtime-trace-id"]
        ctx = Context(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms", "0") or 0),
            headers.get("lambda-runtime-invoked-function-arn", ""),
        )
        try:
            event = json.loads(body) if body else {}
            result = func(event, ctx)
            try:
                out = json.dumps(result).encode()
            except (TypeError, ValueError) as e:
                raise MarshalError("Unable to marshal response: %s" % e)
        except MarshalError as e:
            report_error(request_id, e, "Runtime.MarshalError")
            continue
        except Exception as e:
            report_error(request_id, e)
            continue
        mark_end(request_id)
        call("POST", "/invocation/%s/response" % request_id, out)
        CURRENT["id"] = None


class MarshalError(Exception):
    pass


def report_error(request_id, exc, error_type=None):
    body = error_body(exc, error_type)
    log_error(body, exc)
    mark_end(request_id)
    call(
        "POST",
        "/invocation/%s/error" % request_id,
        json.dumps(body).encode(),
        {"Lambda-Runtime-Function-Error-Type": body["errorType"]},
    )
    CURRENT["id"] = None


if __name__ == "__main__":
    main()
