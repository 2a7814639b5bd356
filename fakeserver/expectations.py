"""pytest-httpserver's expectations as a layer over a server that answers everything else.

Everything that library offers — ``expect_request``, ``expect_oneshot_request``,
``expect_ordered_request``, ``respond_with_*``, ``log``, ``assert_request_made``, ``wait``
— works as documented there, with one difference: expectations are a layer over the
emulated target (:meth:`ExpectationLayer.emulate`), not the whole server. A request that no
expectation matches — including one that arrives while ordered expectations are still
pending — is answered by the emulation instead of failing the server for good.

What goes wrong in that layer (a handler that raises, an ordered or oneshot expectation
never requested, ordered expectations requested out of order) is collected and reported by
:meth:`ExpectationLayer.check_expectations`, which the pytest fixtures call at teardown.
The client only ever sees the documented JSON error shape, never a traceback.
"""

from __future__ import annotations

import abc
import re
import threading
import traceback
from dataclasses import dataclass
from typing import Any

from pytest_httpserver import METHOD_ALL, HTTPServer, RequestHandler, RequestMatcher
from pytest_httpserver import httpserver as httpserver_module
from pytest_httpserver.httpserver import UNDEFINED, NoHandlerError
from werkzeug.wrappers import Request, Response

from . import requestlog
from .errors import error_response
from .wsgi import DropConnection

__all__ = ["ExpectationError", "ExpectationLayer", "HandlerFailure", "describe_matcher"]

# How many of the most recent requests a failure report lists.
_LOG_LINES = 20
# Frames of these files are noise in a handler's traceback.
_LAYER_FILES = frozenset({__file__, httpserver_module.__file__})


class ExpectationError(AssertionError):
    """What :meth:`FakeServer.check_expectations` raises: every problem, readably."""


@dataclass(frozen=True)
class HandlerFailure:
    """A ``respond_with_handler`` function that raised while answering a request."""

    expectation: str
    request: str
    error: BaseException
    traceback: str

    def describe(self) -> str:
        message = str(self.error)
        error = type(self.error).__name__ + (f": {message}" if message else "")
        return (
            f"the handler of expectation {self.expectation} raised {error}\n"
            f"while answering {self.request}:\n{self.traceback.rstrip()}"
        )


def describe_matcher(matcher: RequestMatcher) -> str:
    """``GET /path`` plus whatever else the matcher requires, for humans."""
    method = "any method" if matcher.method == METHOD_ALL else matcher.method
    uri = matcher.uri
    where = f"re:{uri.pattern}" if isinstance(uri, re.Pattern) else str(uri) or "any path"
    parts = [f"{method} {where}"]
    if matcher.query_string is not None:
        parts.append(f"query_string={matcher.query_string!r}")
    if matcher.headers:
        parts.append(f"headers={dict(matcher.headers)!r}")
    if matcher.data is not None:
        parts.append(f"data={matcher.data!r}")
    if matcher.json is not UNDEFINED:
        parts.append(f"json={matcher.json!r}")
    return " ".join(parts)


def _user_traceback(error: BaseException) -> str:
    """The traceback of a handler's error without the frames of this layer."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename not in _LAYER_FILES
    ]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    return "".join(lines + traceback.format_exception_only(type(error), error))


class ExpectationLayer(HTTPServer):
    """An ``HTTPServer`` whose expectations answer first and :meth:`emulate` the rest."""

    def __init__(self, *, host: str, port: int) -> None:
        super().__init__(host=host, port=port)
        self.handler_failures: list[HandlerFailure] = []
        self._ordered_served = 0
        # Claiming a oneshot/ordered expectation must be atomic: requests arrive on many
        # threads. Handlers run outside the lock so a slow one does not stall the others.
        self._claim_lock = threading.Lock()

    # -- what the layer needs from the server beneath --------------------------------------

    @property
    @abc.abstractmethod
    def url(self) -> str:
        """Where the server listens, for the report."""

    @abc.abstractmethod
    def emulate(self, request: Request) -> Response:
        """What the server answers to ``request`` when no expectation matches it."""

    # -- what went wrong, at teardown --------------------------------------------------------

    def clear(self) -> None:
        """pytest-httpserver's ``clear()``: expectations, log and collected problems."""
        with self._claim_lock:
            super().clear()
            self.handler_failures = []
            self._ordered_served = 0

    def expectation_problems(self) -> list[str]:
        """Everything wrong so far, one readable paragraph each; empty when all is well.

        Counts: handler errors, assertions (e.g. ordered expectations hit out of order, or a
        handler's ``AssertionError``), and ordered/oneshot expectations never requested.
        Permanent expectations (``expect_request``) may go unused.
        """
        with self._claim_lock:
            problems = [failure.describe() for failure in self.handler_failures]
            problems += [str(assertion) for assertion in self.assertions]
            first = self._ordered_served + 1
            problems += [
                f"ordered expectation #{first + index} was never requested: "
                f"{describe_matcher(handler.matcher)}"
                for index, handler in enumerate(self.ordered_handlers)
            ]
            problems += [
                f"oneshot expectation was never requested: {describe_matcher(handler.matcher)}"
                for handler in self.oneshot_handlers
            ]
        return problems

    def check_expectations(self) -> None:
        """Raise :class:`ExpectationError` listing every problem, with the recent requests.

        Unlike pytest-httpserver's ``check()``, nothing is consumed: calling it twice
        reports the same problems. ``reset()`` or ``clear()`` forgets them.
        """
        problems = self.expectation_problems()
        if not problems:
            return
        where = self.url if self.is_running() else "(stopped)"
        lines = [f"FakeServer {where}: {len(problems)} problem(s) with its expectations"]
        for number, problem in enumerate(problems, 1):
            first, *rest = problem.splitlines()
            lines.append(f"  {number}. {first}")
            lines.extend(f"     {line}" for line in rest)
        log = list(self.log)
        shown = log[-_LOG_LINES:]
        if not log:
            lines.append("Requests received: none")
        elif len(log) > len(shown):
            lines.append(f"Requests received ({len(log)}, last {len(shown)} shown):")
        else:
            lines.append(f"Requests received ({len(log)}):")
        lines.extend(f"  {requestlog.describe(rq)} -> {rs.status_code}" for rq, rs in shown)
        raise ExpectationError("\n".join(lines))

    def assert_requested(
        self, uri: Any, method: str = METHOD_ALL, *, count: int = 1, **matcher_fields: Any
    ) -> None:
        """``assert_request_made`` without building a matcher: ``uri`` is matched as in
        ``expect_request`` (path, ``re.compile(...)`` or URIPattern); ``count=0`` asserts none."""
        matcher = self.create_matcher(uri, method=method.upper(), **matcher_fields)
        self.assert_request_made(matcher, count=count)

    # -- answering a request ------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Expectations first (ordered, oneshot, permanent), then the emulation.

        pytest-httpserver fails every later request once a request misses the next ordered
        expectation; here such a request is simply answered by the emulation (a client talks
        to the whole target, not only to the routes a test overrides), and an ordered
        expectation that is never reached is reported by :meth:`check_expectations`.
        """
        if self._readiness_check_pending:  # pragma: no cover - start() never asks for one
            self._readiness_check_pending = False
            return Response("OK")
        if self.permanently_failed:  # only if a test sets it, as pytest-httpserver allows
            return self.respond_permanent_failure()
        handler = self._claim(request)
        if handler is None:
            return self.respond_nohandler(request)
        return self._respond(handler, request)

    def _claim(self, request: Request) -> RequestHandler | None:
        with self._claim_lock:
            if self.ordered_handlers:
                first = self.ordered_handlers[0]
                if first.matcher.match(request):
                    self.ordered_handlers.pop(0)
                    self._ordered_served += 1
                    self._update_waiting_result()
                    return first
                self._note_out_of_order(request)
            handler = self.oneshot_handlers.match(request)
            if handler is not None:
                self.oneshot_handlers.remove(handler)
                self._update_waiting_result()
                return handler
            return self.handlers.match(request)

    def _note_out_of_order(self, request: Request) -> None:
        for index, later in enumerate(self.ordered_handlers[1:], 1):
            if later.matcher.match(request):
                first = self._ordered_served + 1
                self.add_assertion(
                    f"{requestlog.describe(request)} matched ordered expectation "
                    f"#{first + index} ({describe_matcher(later.matcher)}) while #{first} "
                    f"({describe_matcher(self.ordered_handlers[0].matcher)}) was still waiting; "
                    "it was not consumed and the emulation answered it"
                )
                return

    def _respond(self, handler: RequestHandler, request: Request) -> Response:
        expectation = describe_matcher(handler.matcher)
        try:
            response: Any = handler.respond(request)
        except DropConnection:
            raise  # an injected fault reached through emulate(): the engine closes the socket
        except NoHandlerError:
            self.add_assertion(
                f"expectation {expectation} matched {requestlog.describe(request)} but has no "
                "response: call respond_with_json/data/response/handler on it"
            )
            return self._handler_error(request, "expectation without a response")
        except AssertionError as error:
            self.add_assertion(error)
            return self._handler_error(request, "expectation handler failed an assertion")
        except Exception as error:
            self.handler_errors.append(error)
            where = requestlog.describe(request)
            failure = HandlerFailure(expectation, where, error, _user_traceback(error))
            self.handler_failures.append(failure)
            raised = f"expectation handler raised {type(error).__name__}"
            return self._handler_error(request, raised)
        if response is None:
            return Response("")
        if isinstance(response, str):
            return Response(response)
        if not isinstance(response, Response):
            self.add_assertion(
                f"the handler of expectation {expectation} returned {type(response).__name__}, "
                "not a werkzeug Response, a str or None"
            )
            return self._handler_error(request, "expectation handler returned no response")
        return response

    def _handler_error(self, request: Request, message: str) -> Response:
        # The documented error shape, never a traceback; details wait for the teardown check.
        return error_response(500, f"{message} (see the test's teardown report)", request.path)

    def respond_nohandler(self, request: Request, extra_message: str = "") -> Response:
        # No expectation matched: the emulated target answers.
        return self.emulate(request)
