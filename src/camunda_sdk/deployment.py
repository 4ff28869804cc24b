"""``Deployment``: what ``deploy_resources_from_files`` returns.

The API answers a deployment with one metadata entry per resource, each holding
exactly one of a process, a decision, a decision requirements graph, a form or a
plain resource. This groups them by kind, so the common case reads
``deployment.processes[0].process_definition_key``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from .operations.models import (
        DeploymentDecisionRequirementsResult,
        DeploymentDecisionResult,
        DeploymentFormResult,
        DeploymentProcessResult,
        DeploymentResourceResult,
        DeploymentResult,
    )
    from .operations.semantic_types import DeploymentKey, TenantId

__all__ = ["Deployment"]


@attrs.frozen(kw_only=True)
class Deployment:
    """A completed deployment, its deployed items grouped by kind.

    Attributes:
        deployment_key: the key of the deployment.
        tenant_id: the tenant it was deployed to.
        processes: the deployed process definitions, in upload order.
        decisions: the deployed decision definitions.
        decision_requirements: the deployed decision requirements graphs.
        forms: the deployed forms.
        resources: other deployed resources.
        result: the API's answer as it came (``DeploymentResult``).
    """

    deployment_key: DeploymentKey
    tenant_id: TenantId
    processes: list[DeploymentProcessResult]
    decisions: list[DeploymentDecisionResult]
    decision_requirements: list[DeploymentDecisionRequirementsResult]
    forms: list[DeploymentFormResult]
    resources: list[DeploymentResourceResult]
    result: DeploymentResult

    @classmethod
    def from_result(cls, result: DeploymentResult) -> Deployment:
        """Group the entries of a ``DeploymentResult`` by kind."""
        entries = result.deployments or []  # an older server may leave it out
        return cls(
            deployment_key=result.deployment_key,
            tenant_id=result.tenant_id,
            processes=[e.process_definition for e in entries if e.process_definition],
            decisions=[e.decision_definition for e in entries if e.decision_definition],
            decision_requirements=[
                e.decision_requirements for e in entries if e.decision_requirements
            ],
            forms=[e.form for e in entries if e.form],
            resources=[e.resource for e in entries if e.resource],
            result=result,
        )
