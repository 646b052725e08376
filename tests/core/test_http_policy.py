"""The shared HTTP policy: what is retried, how long it waits, and what the engine is told.

Requests go through a real httpx client over `httpx.MockTransport` answering from a script; the clock
and the sleep are injected, so nothing here really sleeps.
"""
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.http import HttpPolicy

URL = "https://shop.example.com/api/orders"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Script:
    """Answers requests in order: a status, a Response, or an exception class to raise; the last repeats."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, type) and issubclass(answer, Exception):
            raise answer("scripted failure", request=request)
        return answer if isinstance(answer, httpx.Response) else httpx.Response(answer)


@pytest.fixture
def slept():
    return []


@pytest.fixture
def policy(slept):
    return HttpPolicy("ShopCo", retries=3, backoff=0.5, sleep=slept.append, now=lambda: NOW)


def send(policy, script, method="GET", **kwargs):
    with httpx.Client(transport=httpx.MockTransport(script)) as client:
        return policy.send(client, method, URL, **kwargs)


def fails(policy, script, method="GET", **kwargs) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        send(policy, script, method, **kwargs)
    return caught.value


def test_a_server_error_is_retried_with_doubling_delays_then_succeeds(policy, slept):
    script = Script(503, 502, 500, 200)
    assert send(policy, script).status_code == 200
    assert slept == [0.5, 1.0, 2.0] and len(script.seen) == 4


def test_delays_stop_growing_at_the_cap(policy, slept):
    policy.retries, policy.backoff_cap = 5, 1.5
    fails(policy, Script(503))
    assert slept == [0.5, 1.0, 1.5, 1.5, 1.5]


def test_jitter_shortens_each_delay_by_up_to_its_share(policy, slept):
    policy.jitter, policy.random = 0.5, lambda: 1.0
    fails(policy, Script(503))
    assert slept == [0.25, 0.5, 1.0]


def test_retries_exhausted_names_the_platform_the_host_and_how_often_it_tried(policy):
    script = Script(503)
    error = fails(policy, script)
    assert error.kind is ErrorKind.RETRYABLE and len(script.seen) == 4
    assert error.message == ("ShopCo at shop.example.com could not answer (503 Service Unavailable); "
                             "Dockline tries again later. Tried 4 times.")


def test_an_unreachable_host_is_named_with_the_cause_in_words(policy):
    error = fails(policy, Script(httpx.ConnectError))
    assert error.kind is ErrorKind.RETRYABLE
    assert error.message.startswith("Cannot reach ShopCo at shop.example.com: ") and "Tried 4 times." in error.message
    assert "ConnectError" not in error.message


def test_a_post_whose_answer_timed_out_is_not_sent_again(policy, slept):
    script = Script(httpx.ReadTimeout, 201)
    error = fails(policy, script, "POST", json={"tracking": "1Z"})
    assert error.kind is ErrorKind.RETRYABLE and len(script.seen) == 1 and slept == []
    assert error.message == "Cannot reach ShopCo at shop.example.com: it did not answer in time."


def test_a_post_that_never_left_is_sent_again(policy, slept):
    script = Script(httpx.ConnectError, httpx.ConnectTimeout, 201)
    assert send(policy, script, "POST", json={"tracking": "1Z"}).status_code == 201
    assert len(script.seen) == 3 and slept == [0.5, 1.0]


def test_a_post_answered_with_a_server_error_is_left_to_the_caller(policy, slept):
    script = Script(503, 201)
    assert fails(policy, script, "POST").kind is ErrorKind.RETRYABLE
    assert len(script.seen) == 1 and slept == []


def test_a_get_whose_answer_timed_out_is_sent_again(policy, slept):
    script = Script(httpx.ReadTimeout, 200)
    assert send(policy, script).status_code == 200 and slept == [0.5]


def test_a_short_retry_after_in_seconds_is_waited_out_inside_the_call(policy, slept):
    script = Script(httpx.Response(429, headers={"Retry-After": "3"}), 200)
    assert send(policy, script).status_code == 200
    assert slept == [3 + policy.wait_margin]


def test_a_retry_after_date_is_waited_out_until_that_moment(policy, slept):
    later = format_datetime(NOW + timedelta(seconds=20), usegmt=True)  # "Tue, 01 Dec 2026 12:00:20 GMT"
    script = Script(httpx.Response(429, headers={"Retry-After": later}), 200)
    assert send(policy, script).status_code == 200
    assert slept == [20 + policy.wait_margin]


def test_a_retry_after_date_in_the_past_means_now(policy):
    earlier = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    assert policy.retry_after(httpx.Response(429, headers={"Retry-After": earlier})) == 0


def test_a_429_without_retry_after_waits_the_default(policy):
    policy.default_retry_after = 7
    assert policy.retry_after(httpx.Response(429)) == 7
    assert policy.retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) == 7


def test_a_long_rate_limit_is_handed_to_the_engine_without_waiting(policy, slept):
    script = Script(httpx.Response(429, headers={"Retry-After": "120"}), 200)
    error = fails(policy, script)
    assert error.kind is ErrorKind.RATE_LIMITED and error.retry_after == 120
    assert "ShopCo at shop.example.com" in error.message and "120 s" in error.message
    assert slept == [] and len(script.seen) == 1


def test_a_rate_limit_that_keeps_coming_back_is_waited_out_a_bounded_number_of_times(policy, slept):
    policy.max_waits = 2
    script = Script(httpx.Response(429, headers={"Retry-After": "1"}))
    error = fails(policy, script)
    assert error.kind is ErrorKind.RATE_LIMITED and error.retry_after == 1
    assert len(script.seen) == 3 and len(slept) == 2


@pytest.mark.parametrize("status,kind", [
    (401, ErrorKind.REAUTH), (403, ErrorKind.FATAL), (404, ErrorKind.FATAL), (422, ErrorKind.FATAL),
    (408, ErrorKind.RETRYABLE), (500, ErrorKind.RETRYABLE), (503, ErrorKind.RETRYABLE),
    (429, ErrorKind.RATE_LIMITED),
])
def test_each_status_tells_the_engine_what_to_do(policy, status, kind):
    policy.retries, policy.max_wait = 0, 0
    error = fails(policy, Script(status))
    assert error.kind is kind and error.message.startswith("ShopCo at shop.example.com ")


def test_refusals_are_not_retried(policy, slept):
    for status in (400, 401, 404):
        script = Script(status, 200)
        fails(policy, script)
        assert len(script.seen) == 1
    assert slept == []


def test_a_platform_can_count_403_as_credentials_to_fix(policy):
    policy.statuses = {403: ErrorKind.REAUTH}
    error = fails(policy, Script(403))
    assert error.kind is ErrorKind.REAUTH and "credentials" in error.message


def test_the_platforms_words_and_its_own_verdict_win(policy, slept):
    class ShopError(ConnectorError):
        pass

    def explain(response, kind, retry_after):
        if response.json().get("rule"):  # a business rule refused it: retrying will not help
            return ShopError(f"ShopCo refused the order: {response.json()['rule']}", ErrorKind.FATAL)
        return ShopError("ShopCo is down", kind)

    script = Script(httpx.Response(500, json={"rule": "order is locked"}), 200)
    error = fails(policy, script, explain=explain)
    assert isinstance(error, ShopError) and error.kind is ErrorKind.FATAL
    assert error.message == "ShopCo refused the order: order is locked" and slept == []


def test_an_answer_cut_short_is_read_again(policy, slept):
    def read(response):
        if not response.text.endswith("</Response>"):
            raise ConnectorError("ShopCo's answer is cut short", ErrorKind.RETRYABLE)
        return response.text

    script = Script(httpx.Response(200, text="<Response>"), httpx.Response(200, text="<Response></Response>"))
    assert send(policy, script, read=read) == "<Response></Response>"
    assert slept == [0.5]
