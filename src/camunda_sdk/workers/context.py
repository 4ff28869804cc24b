"""What a job handler receives: the job contexts.

- :class:`JobContext`: the activated job, its variables and a job-scoped logger.
  It is what the ``"process"`` strategy hands over (it pickles).
- :class:`ConnectedJobContext`: adds ``client``, the worker's async client
  (``"async"`` strategy);
- :class:`SyncJobContext`: adds ``client``, a sync ``CamundaClient`` sharing it
  (``"thread"`` strategy).

Either client is the worker's view of it (``client.with_stage(...)``): it shares
the client's connections, plugins and state, and notices the handler sending
its job's outcome itself.

A handler raises :class:`~camunda_sdk.workers.JobFailure` or
:class:`~camunda_sdk.workers.JobError` (:mod:`camunda_sdk.workers.outcome`) to fail
the job or throw a BPMN error instead of completing it.

A handler may also report the outcome itself: ``job.complete(...)``,
``job.fail(...)``, ``job.throw_error(...)`` or ``job.ignore()`` record it (as an
:class:`~camunda_sdk.workers.outcome.Outcome`) and the worker sends it (with its
delivery guarantees) when the handler returns; a completion, failure or error sent
through ``job.client`` is noticed and not sent a second time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Union

from .outcome import IGNORED, JobError, JobFailure, Outcome, completed, outcome_of

if TYPE_CHECKING:
    from .._serde import VariablesInput
    from ..base_client import AsyncApiClient, CamundaClient
    from ..log import BoundLogger, NullLogger
    from ..operations.models import (
        ActivatedJobResult,
        JobCompletionRequest,
        JobKindEnum,
        JobListenerEventTypeEnum,
        UserTaskProperties,
    )
    from ..operations.semantic_types import (
        BusinessId,
        ElementId,
        ElementInstanceKey,
        JobKey,
        ProcessDefinitionId,
        ProcessDefinitionKey,
        ProcessInstanceKey,
        Tag,
        TenantId,
    )

__all__ = [
    "AsyncJobHandler",
    "ConnectedJobContext",
    "HandlerResult",
    "JobContext",
    "JobHandler",
    "JobVariables",
    "ProcessJobHandler",
    "SyncJobContext",
    "SyncJobHandler",
]


class JobVariables(dict[str, Any]):
    """The job's variables: a ``dict``, plus :meth:`to_dict` for a plain copy."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the variables as a new plain ``dict``."""
        return dict(self)


_P = ParamSpec("_P")


def _records(
    raised: Callable[_P, Exception], doc: str
) -> Callable[Concatenate[JobContext, _P], None]:
    """A :class:`JobContext` method taking ``raised``'s arguments, which records the
    outcome that raising ``raised(...)`` in the handler would have made."""

    def record(self: JobContext, *args: _P.args, **kwargs: _P.kwargs) -> None:
        self._record(outcome_of(self.job, None, raised(*args, **kwargs)))

    record.__doc__ = doc
    record.__wrapped__ = raised.__init__  # type: ignore[attr-defined]  # help() shows its signature
    return record


class JobContext:
    """One activated job, as a handler sees it.

    Attributes:
        job: the activated job as the cluster sent it. Fields an older (or
            newer) server omits are None.
        variables: the job's variables (a ``dict`` with ``to_dict()``).
        custom_headers: the task's custom headers (empty when none).
        log: a logger bound with the job type, worker name and job key.

    The other properties read the matching field of :attr:`job`.
    """

    __slots__ = ("_done", "_log", "_log_parent", "custom_headers", "job", "outcome", "variables")

    def __init__(
        self,
        job: ActivatedJobResult,
        *,
        log: BoundLogger | NullLogger | None = None,
        log_parent: BoundLogger | NullLogger | None = None,
    ) -> None:
        self.job = job
        variables = job.variables
        self.variables = JobVariables(variables if isinstance(variables, Mapping) else ())
        headers = job.custom_headers
        self.custom_headers: dict[str, Any] = dict(headers) if isinstance(headers, Mapping) else {}
        self._log = log
        self._log_parent = log_parent
        #: The outcome the handler recorded (``complete``/``fail``/``throw_error``/
        #: ``ignore``), or None: then its return value or exception decides.
        self.outcome: Outcome | None = None
        self._done: list[Callable[[str, bool], None]] | None = None

    def on_done(self, callback: Callable[[str, bool], None]) -> None:
        """Call ``callback(outcome, delivered)`` when the worker is done with the job.

        ``outcome`` is ``completed``, ``failed``, ``errored``, ``ignored`` or
        ``abandoned`` (an :class:`~camunda_sdk.workers.outcome.OutcomeKind`'s
        value); ``delivered`` says whether the cluster got it. For middleware that
        must outlive the handler (a span ending after the completion was sent).
        Callbacks stay in the worker's process.
        """
        if self._done is None:
            self._done = []
        self._done.append(callback)

    @property
    def done_callbacks(self) -> Sequence[Callable[[str, bool], None]]:
        """The callbacks :meth:`on_done` registered, in order (the worker calls them)."""
        return self._done or ()

    # -- reporting the outcome ----------------------------------------------------

    def complete(self, variables: VariablesInput | JobCompletionRequest | None = None) -> None:
        """Complete the job with ``variables`` (or a full ``JobCompletionRequest``).

        The worker sends the completion when the handler returns, retrying it
        until shortly before the job's deadline; the handler's return value is
        then ignored.
        """
        self._record(completed(self.job, variables))

    fail = _records(
        JobFailure, "Fail the job, as raising ``JobFailure`` with these arguments would."
    )
    throw_error = _records(
        JobError, "Throw a BPMN error, as raising ``JobError`` with these arguments would."
    )

    def ignore(self) -> None:
        """Send nothing for this job: it stays with this worker until its timeout expires."""
        self._record(IGNORED)

    def _record(self, outcome: Outcome) -> None:
        if self.outcome is not None:
            raise RuntimeError(
                f"job {self.job.job_key}: its outcome was already reported"
                f" ({self.outcome.kind.value}); a job has one outcome"
            )
        self.outcome = outcome

    @property
    def log(self) -> BoundLogger | NullLogger:
        """A logger bound with ``job_type``, ``worker`` and ``job_key``.

        Bound on first use: handlers that never log pay nothing for it.
        """
        log = self._log
        if log is None:
            parent = self._log_parent
            if parent is None:
                from ..log import NullLogger

                log = NullLogger()
            else:
                log = parent.bind(job_key=self.job.job_key)
            self._log = log
        return log

    # -- the activated job's fields -----------------------------------------------

    @property
    def job_key(self) -> JobKey:
        """The job's key."""
        return self.job.job_key

    @property
    def type(self) -> str:
        """The job type (the service task's ``type``)."""
        return self.job.type_

    @property
    def retries(self) -> int:
        """Retries left."""
        return self.job.retries

    @property
    def deadline(self) -> int:
        """When the job's activation times out (epoch milliseconds)."""
        return self.job.deadline

    @property
    def worker(self) -> str:
        """The worker name the job was activated for."""
        return self.job.worker

    @property
    def process_instance_key(self) -> ProcessInstanceKey:
        """The process instance the job belongs to."""
        return self.job.process_instance_key

    @property
    def process_definition_key(self) -> ProcessDefinitionKey:
        """The key of the process definition."""
        return self.job.process_definition_key

    @property
    def process_definition_id(self) -> ProcessDefinitionId:
        """The BPMN process id."""
        return self.job.process_definition_id

    @property
    def process_definition_version(self) -> int:
        """The version of the process definition."""
        return self.job.process_definition_version

    @property
    def element_id(self) -> ElementId:
        """The BPMN element id of the task."""
        return self.job.element_id

    @property
    def element_instance_key(self) -> ElementInstanceKey:
        """The element instance the job belongs to."""
        return self.job.element_instance_key

    @property
    def tenant_id(self) -> TenantId:
        """The tenant of the job."""
        return self.job.tenant_id

    @property
    def kind(self) -> JobKindEnum:
        """The job kind (``BPMN_ELEMENT``, ``EXECUTION_LISTENER``, ``TASK_LISTENER``...)."""
        return self.job.kind

    @property
    def listener_event_type(self) -> JobListenerEventTypeEnum:
        """For listener jobs, the event that triggered the listener."""
        return self.job.listener_event_type

    @property
    def user_task(self) -> UserTaskProperties | None:
        """For user task listener jobs, the user task's properties."""
        return self.job.user_task

    @property
    def tags(self) -> list[Tag] | None:
        """Tags of the process instance (None from servers that do not send them)."""
        return self.job.tags

    @property
    def business_id(self) -> BusinessId | None:
        """The business id of the process instance, if any."""
        return self.job.business_id

    @property
    def priority(self) -> int | None:
        """The job priority (None from servers that do not send it)."""
        return self.job.priority

    @property
    def root_process_instance_key(self) -> ProcessInstanceKey | None:
        """The root process instance (for call activity hierarchies)."""
        return self.job.root_process_instance_key

    def __getstate__(self) -> dict[str, Any]:
        # The "process" strategy pickles the context: the logger and on_done
        # callbacks stay behind; variables travel as middleware left them.
        return {
            "job": self.job,
            "log": self._log,
            "outcome": self.outcome,
            "variables": dict(self.variables),
            "custom_headers": self.custom_headers,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        JobContext.__init__(self, state["job"], log=state["log"])
        self.outcome = state.get("outcome")
        if "variables" in state:
            self.variables = JobVariables(state["variables"])
            self.custom_headers = state["custom_headers"]

    def __repr__(self) -> str:
        # Variables and headers carry business data: keep them out of reprs.
        return f"{type(self).__name__}(job_key={self.job.job_key!r}, type={self.job.type_!r})"


class _ClientJobContext(JobContext):
    """A :class:`JobContext` that also carries a client (never pickled)."""

    __slots__ = ("client",)

    def __init__(
        self,
        job: ActivatedJobResult,
        *,
        client: AsyncApiClient | CamundaClient,
        log: BoundLogger | NullLogger | None = None,
        log_parent: BoundLogger | NullLogger | None = None,
    ) -> None:
        super().__init__(job, log=log, log_parent=log_parent)
        self.client = client

    def __reduce__(self) -> Any:
        raise TypeError(
            f"a {type(self).__name__} holds a client and cannot be pickled; the 'process'"
            " strategy hands handlers a plain JobContext"
        )


class ConnectedJobContext(_ClientJobContext):
    """A :class:`JobContext` with the async ``client`` (``"async"`` strategy)."""

    __slots__ = ()
    client: AsyncApiClient


class SyncJobContext(_ClientJobContext):
    """A :class:`JobContext` with a sync ``client`` (``"thread"`` strategy)."""

    __slots__ = ()
    client: CamundaClient


#: A link of the job chain (handler middleware, or the handler run by the executor):
#: takes the job's context, returns the handler's result (or raises ``JobFailure``,
#: ``JobError`` or anything), or records an outcome on the context.
JobHandler = Callable[[JobContext], Awaitable[Any]]
#: What a handler may return: variables to complete with, a full completion
#: request (user task listener corrections, ad-hoc sub-process results), or None.
HandlerResult = Union[Mapping[str, Any], "JobCompletionRequest", None]
#: A handler for the ``"async"`` strategy.
AsyncJobHandler = Callable[[ConnectedJobContext], Awaitable[HandlerResult]]
#: A handler for the ``"thread"`` strategy.
SyncJobHandler = Callable[[SyncJobContext], HandlerResult]
#: A handler for the ``"process"`` strategy (must pickle).
ProcessJobHandler = Callable[[JobContext], HandlerResult]
