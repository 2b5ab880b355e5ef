"""The 16 legacy operations as thin adapters: decode the request, call the core, encode the answer.

Method and argument names are the wire names, typos and the username/userName mix included. The
hot operations run through their table (soap/hot_operations.py), shared with the short path.
"""

from __future__ import annotations

from typing import Any

from spyne import ServiceBase

from recovery_soap.core import (
    captcha,
    challenges,
    password_recovery,
    registration,
    username_recovery,
)
from recovery_soap.soap import convert, hot_operations
from recovery_soap.soap.context import call_env
from recovery_soap.soap.hot_operations import CLAIMS, QUESTIONS, VERIFY_USER
from recovery_soap.soap.types import (
    CaptchaInfoBean,
    ChallengeQuestionDTO,
    ChallengeQuestionIdsDTO,
    String,
    UserChallengesCollectionDTO,
    UserChallengesDTO,
    UserIdentityClaimDTO,
    VerificationBean,
    operation,
    repeated,
)


def _one(kind: Any) -> dict[str, Any]:
    return {"_returns": kind.customize(min_occurs=0, nillable=True), "_out_variable_name": "return"}


def _many(kind: Any) -> dict[str, Any]:
    return {"_returns": repeated(kind), "_out_variable_name": "return"}


Captcha = CaptchaInfoBean.customize(min_occurs=0, nillable=True)
Claims = repeated(UserIdentityClaimDTO)
Answers = repeated(UserChallengesDTO)


class UserInformationRecoveryService(ServiceBase):  # type: ignore[misc]  # spyne is untyped
    @operation(**_one(CaptchaInfoBean))
    def getCaptcha(ctx: Any) -> CaptchaInfoBean:  # noqa: N802,N805
        env, caller = call_env(ctx)
        return convert.captcha_bean(captcha.new_captcha(env, caller))

    @operation(String, Captcha, **_one(VerificationBean))
    def verifyUser(ctx: Any, username: str | None, captcha: CaptchaInfoBean | None) -> Any:  # noqa: N802,N805
        return hot_operations.call(ctx, VERIFY_USER, username, convert.captcha_input(captcha))

    @operation(String, String, String, **_one(VerificationBean))
    def sendRecoveryNotification(
        ctx: Any, username: str | None, key: str | None, notificationType: str | None
    ) -> VerificationBean:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            password_recovery.send_recovery_notification(
                env, caller, username, key, notificationType
            )
        )

    @operation(String, String, Captcha, **_one(VerificationBean))
    def verifyConfirmationCode(
        ctx: Any, username: str | None, code: str | None, captcha: CaptchaInfoBean | None
    ) -> VerificationBean:  # noqa: N802,N805
        env, caller = call_env(ctx)
        return convert.verification_bean(
            password_recovery.verify_confirmation_code(
                env, caller, username, code, convert.captcha_input(captcha)
            )
        )

    @operation(String, String, String, **_one(VerificationBean))
    def updatePassword(
        ctx: Any, username: str | None, confirmationCode: str | None, newPassword: str | None
    ) -> VerificationBean:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            password_recovery.update_password(env, caller, username, confirmationCode, newPassword)
        )

    @operation(String, String, **_one(ChallengeQuestionIdsDTO))
    def getUserChallengeQuestionIds(
        ctx: Any, username: str | None, confirmation: str | None
    ) -> ChallengeQuestionIdsDTO:  # noqa: N802,N805
        env, caller = call_env(ctx)
        return convert.question_ids_bean(
            challenges.question_ids(env, caller, username, confirmation)
        )

    @operation(String, String, String, **_one(UserChallengesDTO))
    def getUserChallengeQuestion(
        ctx: Any, userName: str | None, confirmation: str | None, questionId: str | None
    ) -> UserChallengesDTO:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.user_challenge_bean(
            challenges.user_question(env, caller, userName, confirmation, questionId)
        )

    @operation(String, String, **_one(UserChallengesCollectionDTO))
    def getUserChallengeQuestions(
        ctx: Any, userName: str | None, confirmation: str | None
    ) -> UserChallengesCollectionDTO:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.user_challenges_bean(
            challenges.user_questions(env, caller, userName, confirmation)
        )

    @operation(String, String, String, String, **_one(VerificationBean))
    def verifyUserChallengeAnswer(
        ctx: Any,
        userName: str | None,
        confirmation: str | None,
        questionId: str | None,
        answer: str | None,
    ) -> VerificationBean:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            challenges.verify_answer(env, caller, userName, confirmation, questionId, answer)
        )

    @operation(String, String, Answers, **_one(VerificationBean))
    def verifyUserChallengeAnswers(
        ctx: Any,
        userName: str | None,
        confirmation: str | None,
        userChallengesDTOs: list[UserChallengesDTO | None] | None,
    ) -> VerificationBean:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            challenges.verify_answers(
                env, caller, userName, confirmation, convert.answer_pairs(userChallengesDTOs)
            )
        )

    @operation(**_many(ChallengeQuestionDTO))
    def getAllChallengeQuestions(ctx: Any) -> Any:  # noqa: N802,N805
        return hot_operations.call(ctx, QUESTIONS)

    @operation(String, **_many(UserIdentityClaimDTO))
    def getUserIdentitySupportedClaims(ctx: Any, dialect: str | None) -> Any:  # noqa: N802,N805
        return hot_operations.call(ctx, CLAIMS, dialect)

    @operation(Claims, Captcha, String, **_one(VerificationBean))
    def verifyAccount(
        ctx: Any,
        claims: list[UserIdentityClaimDTO | None] | None,
        captcha: CaptchaInfoBean | None,
        tenantDomain: str | None,
    ) -> VerificationBean:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            username_recovery.verify_account(
                env,
                caller,
                convert.claim_pairs(claims),
                convert.captcha_input(captcha),
                tenantDomain,
            )
        )

    @operation(String, String, Claims, String, String, **_one(VerificationBean))
    def registerUser(
        ctx: Any,
        userName: str | None,
        password: str | None,
        claims: list[UserIdentityClaimDTO | None] | None,
        profileName: str | None,
        tenantDomain: str | None,
    ) -> VerificationBean:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            registration.register_user(
                env,
                caller,
                userName,
                password,
                convert.claim_pairs(claims),
                profileName,
                tenantDomain,
            )
        )

    @operation(String, String, String, String, **_one(VerificationBean))
    def resendSignUpConfiramtionCode(
        ctx: Any,
        userName: str | None,
        code: str | None,
        profileName: str | None,
        tenantDomain: str | None,
    ) -> VerificationBean:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            registration.resend_signup_code(env, caller, userName, code, profileName, tenantDomain)
        )

    @operation(String, String, Captcha, String, **_one(VerificationBean))
    def confirmUserSelfRegistration(
        ctx: Any,
        username: str | None,
        code: str | None,
        captcha: CaptchaInfoBean | None,
        tenantDomain: str | None,
    ) -> VerificationBean:  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            registration.confirm_registration(
                env, caller, username, code, convert.captcha_input(captcha), tenantDomain
            )
        )
