"""Core values to legacy beans and back. Legacy names live here, not in the core."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from recovery_soap.core.errors import RecoveryError
from recovery_soap.core.model import (
    CaptchaChallenge,
    CaptchaInput,
    ChallengeIds,
    ClaimDefinition,
    NotificationData,
    Question,
    UserChallenge,
    UserChallenges,
    Verification,
)
from recovery_soap.soap.types import (
    CaptchaInfoBean,
    ChallengeQuestionDTO,
    ChallengeQuestionIdsDTO,
    NotificationDataDTO,
    UserChallengesCollectionDTO,
    UserChallengesDTO,
    UserIdentityClaimDTO,
    VerificationBean,
)


def captcha_input(bean: CaptchaInfoBean | None) -> CaptchaInput | None:
    if bean is None:
        return None
    return CaptchaInput(secret_key=bean.secretKey, user_answer=bean.userAnswer)


def claim_pairs(
    beans: Iterable[UserIdentityClaimDTO | None] | None,
) -> list[tuple[str | None, str | None]]:
    """The claims given; a nil or empty element (``<claims/>``) is no claim at all."""
    return [
        (b.claimUri, b.claimValue)
        for b in beans or ()
        if b is not None and (b.claimUri is not None or b.claimValue is not None)
    ]


def answer_pairs(
    beans: Iterable[UserChallengesDTO | None] | None,
) -> list[tuple[str | None, str | None]]:
    return [(b.id, b.answer) for b in beans or () if b is not None]


def notification_bean(data: NotificationData | None) -> NotificationDataDTO | None:
    if data is None:
        return None
    return NotificationDataDTO(
        domainName=data.domain,
        firstName=data.first_name,
        notificationAddress=data.address,
        notificationCode=data.code,
        notificationSent=False,
        notificationType="EMAIL",
        userId=data.user_id,
    )


def verification_bean(result: Verification) -> VerificationBean:
    return VerificationBean(
        verified=result.verified,
        userId=result.user_id,
        key=result.key,
        notificationData=notification_bean(result.notification),
    )


def captcha_bean(challenge: CaptchaChallenge) -> CaptchaInfoBean:
    return CaptchaInfoBean(imagePath=challenge.image_path, secretKey=challenge.secret_key)


def question_ids_bean(result: ChallengeIds) -> ChallengeQuestionIdsDTO:
    return ChallengeQuestionIdsDTO(ids=list(result.ids), key=result.key)


def user_challenge_bean(result: UserChallenge) -> UserChallengesDTO:
    return UserChallengesDTO(
        id=result.set_id,
        question=result.question,
        key=result.key,
        verfied=True,
        order=0,
        primary=False,
    )


def user_challenges_bean(result: UserChallenges) -> UserChallengesCollectionDTO:
    return UserChallengesCollectionDTO(
        key=result.key,
        userChallengesDTOs=[
            UserChallengesDTO(
                id=c.set_id, question=c.question, order=order, primary=False, verfied=False
            )
            for order, c in enumerate(result.challenges)
        ],
    )


def question_beans(questions: Sequence[Question]) -> list[ChallengeQuestionDTO]:
    # The legacy service forced promoteQuestion=false and order=0 on every question.
    return [
        ChallengeQuestionDTO(
            question=q.question, questionSetId=q.set_id, promoteQuestion=False, order=0
        )
        for q in questions
    ]


def claim_beans(claims: Sequence[ClaimDefinition]) -> list[UserIdentityClaimDTO]:
    return [
        UserIdentityClaimDTO(claimUri=c.uri, displayName=c.display_name, required=c.required)
        for c in claims
    ]


#: The bean each operation answers a business failure with.
ERROR_BEANS = {
    VerificationBean: lambda text: VerificationBean(verified=False, error=text),
    ChallengeQuestionIdsDTO: lambda text: ChallengeQuestionIdsDTO(error=text),
    UserChallengesDTO: lambda text: UserChallengesDTO(error=text, verfied=False),
    UserChallengesCollectionDTO: lambda text: UserChallengesCollectionDTO(error=text),
}


def error_bean(return_type: Any, error: RecoveryError) -> object | None:
    """The failure bean for an operation returning ``return_type``; None if it has none."""
    make: Callable[[str], object] | None = ERROR_BEANS.get(return_type)
    return make(error.wire_text) if make else None
