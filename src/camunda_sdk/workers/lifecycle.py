"""One job's way through a worker: activation -> handler -> outcome -> delivery.

:class:`JobRunner` runs every job of one worker as a task of its own:

1. it makes the job's :class:`~.record.JobRecord` and, through the worker's
   executor, the context the handler receives;
2. it runs the job chain (handler middleware, then the handler through the
   executor), stopped at ``max_job_duration_milliseconds`` if set, with the
   job's timeout extended meanwhile if ``extend_timeout`` (:mod:`.lease`);
3. it turns what the chain returned, raised or recorded into the job's
   :class:`~.outcome.Outcome`; a failure of any step before is an outcome too
   (the job fails saying so), never a job left unreported;
4. it hands the outcome to :class:`~.delivery.Delivery`, then counts it and calls
   the context's ``on_done`` callbacks with what became of the job.

The handler's ``job.client`` is a view of the worker's client with one more
stage (:meth:`JobRunner.notice_reports`): when the handler sends its job's
completion, failure or BPMN error itself, the stage adds the lease token and,
once the call succeeded, records it, and the worker sends nothing more.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import attrs

from .._serde import Model
from ..operations import models
from .lease import extend_while_running
from .outcome import JobError, JobFailure, Outcome, OutcomeKind, describe, failed, outcome_of
from .record import JobRecord

if TYPE_CHECKING:
    from ..log import BoundLogger
    from ..operations.models import ActivatedJobResult
    from ..pipeline.call import Call
    from ..pipeline.effects import Effect
    from ..pipeline.hookspecs import Handler
    from ..pipeline.http import Response
    from .config import ResolvedWorkerConfig
    from .context import JobContext
    from .delivery import Delivery
    from .executors import Host
    from .hookspecs import JobHandler
    from .telemetry import WorkerTelemetry
    from .tuning import WorkerTuning

__all__ = ["JobRunner"]

_HANDED_BACK = "handed back unprocessed: the job worker is stopping"
# The calls that end a job, with what each makes of it and its body's model.
_REPORTS: dict[str, tuple[OutcomeKind, type[Model]]] = {
    "completeJob": (OutcomeKind.COMPLETED, models.JobCompletionRequest),
    "failJob": (OutcomeKind.FAILED, models.JobFailRequest),
    "throwJobError": (OutcomeKind.ERRORED, models.JobErrorRequest),
}


class JobRunner:
    """Takes each job of one worker from activation to its outcome (see the module docstring).

    Args:
        worker: the worker, as its executor sees it (``make_context(job, worker)``).
        chain: the outermost link of the worker's job chain.
        delivery: sends the outcomes.
        telemetry: counts outcomes and times handlers.
        tuning: ``deadline_margin``.
    """

    def __init__(
        self,
        worker: Host,
        chain: JobHandler,
        delivery: Delivery,
        telemetry: WorkerTelemetry,
        tuning: WorkerTuning,
    ) -> None:
        self._worker = worker
        self._executor = worker.executor
        self._config: ResolvedWorkerConfig = worker.config
        self._log: BoundLogger = worker.log
        self._chain = chain
        self._delivery = delivery
        self._telemetry = telemetry
        self._margin = tuning.deadline_margin
        self._tuning = tuning
        #: The jobs being handled or reported, by key (read by :meth:`notice_reports`).
        self.records: dict[str, JobRecord] = {}

    def _new_record(self, job: ActivatedJobResult, activated_at: float) -> JobRecord:
        return JobRecord.activated(
            job, activated_at, self._config.job_timeout_milliseconds, self._margin
        )

    # -- one job ---------------------------------------------------------------------

    async def run(self, job: ActivatedJobResult, activated_at: float) -> None:
        """Run ``job``, activated by a poll sent at loop time ``activated_at``; never raises."""
        log = self._log
        key = job.job_key
        if key is None:
            # Without a key the job can be neither completed nor failed.
            log.error("activated job has no jobKey; ignored (it will time out)")
            return
        record = self._new_record(job, activated_at)
        self.records[record.key] = record
        kind, delivered = OutcomeKind.ABANDONED, False
        context: JobContext | None = None
        try:
            try:
                context = self._executor.make_context(job, self._worker)
            except Exception as exc:
                log.error(f"job {key}: could not prepare the job context", exc=exc)
                outcome = failed(job, f"worker could not prepare the job: {describe(exc)}")
            else:
                try:
                    outcome = await self._handle(record, context)
                except Exception as exc:  # a bug in middleware or the runtime: still report
                    log.error(f"job {key}: handling failed", exc=exc)
                    outcome = failed(job, f"the worker could not handle the job: {describe(exc)}")
            kind = outcome.kind
            if outcome.request is None:  # reported by the handler, or left to time out
                delivered = True
            else:
                sent = await self._delivery.deliver(job, outcome, record.give_up_at)
                if sent is not None:
                    kind, delivered = sent.kind, True
            if delivered:
                self._telemetry.ended(kind)
        finally:
            self.records.pop(record.key, None)
            if context is not None:
                for callback in context.done_callbacks:
                    try:
                        callback(kind.value, delivered)
                    except Exception as exc:  # one broken callback must not hide the others
                        log.error(f"job {key}: on_done callback failed", exc=exc)

    async def hand_back(self, job: ActivatedJobResult, activated_at: float) -> None:
        """Give ``job`` back unprocessed (the worker is stopping): failed, retries unchanged."""
        give_up_at = self._new_record(job, activated_at).give_up_at
        await self._delivery.deliver(
            job, failed(job, _HANDED_BACK, retries=job.retries or 1), give_up_at
        )

    async def _handle(self, record: JobRecord, context: JobContext) -> Outcome:
        """Run the job's chain (middleware, then the handler); return its outcome."""
        job = record.job
        result: object = None
        raised: Exception | None = None
        record.handler_started()
        started = time.perf_counter()
        extender = None
        if self._config.extend_timeout:
            extender = asyncio.get_running_loop().create_task(
                extend_while_running(
                    record,
                    client=self._delivery.client,
                    timeout_milliseconds=self._config.job_timeout_milliseconds,
                    tuning=self._tuning,
                    log=self._log,
                )
            )
        try:
            result = await self._run_chain(context)
        except Exception as exc:  # a handler's own TimeoutError included: it fails the job
            raised = exc
        finally:
            record.handler_returned()
            if extender is not None:
                extender.cancel()  # the handler returned: no extension after this
            self._telemetry.handled(time.perf_counter() - started)
        reported = record.reported
        if reported is not None:
            self._log.debug(f"job {job.job_key}: the handler reported the outcome itself")
            return Outcome(reported)
        try:
            return self._decide(job, context, result, raised)
        except Exception as exc:  # a result whose conversion raises must not go unreported
            self._log.error(f"job {job.job_key}: could not prepare its outcome", exc=exc)
            return failed(job, f"the worker could not prepare the job's outcome: {describe(exc)}")

    def _decide(
        self, job: ActivatedJobResult, context: JobContext, result: object, raised: Exception | None
    ) -> Outcome:
        recorded = context.outcome
        if recorded is None:
            return outcome_of(job, result, raised)
        if raised is not None and not isinstance(raised, (JobFailure, JobError)):
            self._log.warning(
                f"job {job.job_key}: handler raised {describe(raised)} after recording"
                f" its outcome; sending the recorded outcome",
                exc=raised,
            )
        if recorded.kind is OutcomeKind.IGNORED:
            self._log.debug(f"job {job.job_key}: ignored by the handler")
        return recorded

    async def _run_chain(self, context: JobContext) -> Any:
        """Run the job chain, stopped at ``max_job_duration_milliseconds`` if set.

        The chain stays in the job's own task (its context, so the job span, is
        the one the outcome call sees): a timer cancels this task at the maximum,
        and that cancellation, told apart from any other, becomes a ``JobFailure``.
        """
        maximum = self._config.max_job_duration_milliseconds
        if maximum is None:
            return await self._chain(context)
        task = asyncio.current_task()
        assert task is not None
        fired = False

        def overrun() -> None:
            nonlocal fired
            fired = True
            task.cancel()

        timer = asyncio.get_running_loop().call_later(maximum / 1000, overrun)
        try:
            return await self._chain(context)
        except asyncio.CancelledError:
            if not fired:
                raise
            uncancel = getattr(task, "uncancel", None)  # Python 3.11+
            if uncancel is not None:
                uncancel()
            self._log.error(
                f"job {context.job_key}: the handler ran past its maximum of {maximum / 1000:g} s;"
                " cancelled (or abandoned, in a thread or process) and the job failed"
            )
            raise JobFailure(
                f"the job handler ran past its maximum duration of {maximum} ms and was stopped"
            ) from None
        finally:
            timer.cancel()

    # -- the handler's client view ---------------------------------------------------

    def notice_reports(self, inner: Handler) -> Handler:
        """The stage of the handlers' client view: notices a handler ending its job itself.

        A completion, failure or BPMN error for a job whose handler is running gets
        the job's lease token when its body lacks one; once the call succeeded the
        job's record says so, and the worker sends nothing more for it.
        """
        records = self.records

        def notice_reported_outcome(call: Call) -> Generator[Effect, Any, Response]:
            report = _REPORTS.get(call.operation.id)
            params = call.path_params
            record = records.get(str(params.get("jobKey"))) if report and params else None
            if record is None or not record.handler_running:
                return (yield from inner(call))
            kind, model = report  # type: ignore[misc]  # set when record is
            lease = record.lease_token
            if lease is not None:
                body = call.body
                if body is None:
                    call.body = model(lease_token=lease)  # type: ignore[call-arg]
                elif isinstance(body, Model) and getattr(body, "lease_token", "") is None:
                    call.body = attrs.evolve(body, lease_token=lease)  # type: ignore[misc]
            response = yield from inner(call)
            if 200 <= response.status_code < 300:
                record.report(kind)
            return response

        return notice_reported_outcome
