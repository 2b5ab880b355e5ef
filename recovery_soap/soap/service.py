"""The 16 legacy operations as thin adapters: decode the request, call the core, encode the answer.

Method and argument names are the wire names, typos and the username/userName mix included. The
hot operations run through their table (soap/hot_operations.py), shared with the short path.
"""

from __future__ import annotations

from typing import Any

from spyne import ServiceBase, rpc

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
    repeated,
)


def _one(kind: type) -> dict[str, Any]:
    return {"_returns": kind.customize(min_occurs=0, nillable=True), "_out_variable_name": "return"}


def _many(kind: type) -> dict[str, Any]:
    return {"_returns": repeated(kind), "_out_variable_name": "return"}


Captcha = CaptchaInfoBean.customize(min_occurs=0, nillable=True)
Claims = repeated(UserIdentityClaimDTO)
Answers = repeated(UserChallengesDTO)


class UserInformationRecoveryService(ServiceBase):
    @rpc(**_one(CaptchaInfoBean))
    def getCaptcha(ctx):  # noqa: N802,N805
        env, caller = call_env(ctx)
        return convert.captcha_bean(captcha.new_captcha(env, caller))

    @rpc(String, Captcha, **_one(VerificationBean))
    def verifyUser(ctx, username, captcha):  # noqa: N802,N805
        return hot_operations.call(ctx, VERIFY_USER, username, convert.captcha_input(captcha))

    @rpc(String, String, String, **_one(VerificationBean))
    def sendRecoveryNotification(ctx, username, key, notificationType):  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            password_recovery.send_recovery_notification(
                env, caller, username, key, notificationType
            )
        )

    @rpc(String, String, Captcha, **_one(VerificationBean))
    def verifyConfirmationCode(ctx, username, code, captcha):  # noqa: N802,N805
        env, caller = call_env(ctx)
        return convert.verification_bean(
            password_recovery.verify_confirmation_code(
                env, caller, username, code, convert.captcha_input(captcha)
            )
        )

    @rpc(String, String, String, **_one(VerificationBean))
    def updatePassword(ctx, username, confirmationCode, newPassword):  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            password_recovery.update_password(env, caller, username, confirmationCode, newPassword)
        )

    @rpc(String, String, **_one(ChallengeQuestionIdsDTO))
    def getUserChallengeQuestionIds(ctx, username, confirmation):  # noqa: N802,N805
        env, caller = call_env(ctx)
        return convert.question_ids_bean(
            challenges.question_ids(env, caller, username, confirmation)
        )

    @rpc(String, String, String, **_one(UserChallengesDTO))
    def getUserChallengeQuestion(ctx, userName, confirmation, questionId):  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.user_challenge_bean(
            challenges.user_question(env, caller, userName, confirmation, questionId)
        )

    @rpc(String, String, **_one(UserChallengesCollectionDTO))
    def getUserChallengeQuestions(ctx, userName, confirmation):  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.user_challenges_bean(
            challenges.user_questions(env, caller, userName, confirmation)
        )

    @rpc(String, String, String, String, **_one(VerificationBean))
    def verifyUserChallengeAnswer(ctx, userName, confirmation, questionId, answer):  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            challenges.verify_answer(env, caller, userName, confirmation, questionId, answer)
        )

    @rpc(String, String, Answers, **_one(VerificationBean))
    def verifyUserChallengeAnswers(ctx, userName, confirmation, userChallengesDTOs):  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            challenges.verify_answers(
                env, caller, userName, confirmation, convert.answer_pairs(userChallengesDTOs)
            )
        )

    @rpc(**_many(ChallengeQuestionDTO))
    def getAllChallengeQuestions(ctx):  # noqa: N802,N805
        return hot_operations.call(ctx, QUESTIONS)

    @rpc(String, **_many(UserIdentityClaimDTO))
    def getUserIdentitySupportedClaims(ctx, dialect):  # noqa: N802,N805
        return hot_operations.call(ctx, CLAIMS, dialect)

    @rpc(Claims, Captcha, String, **_one(VerificationBean))
    def verifyAccount(ctx, claims, captcha, tenantDomain):  # noqa: N802,N805,N803
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

    @rpc(String, String, Claims, String, String, **_one(VerificationBean))
    def registerUser(ctx, userName, password, claims, profileName, tenantDomain):  # noqa: N802,N805,N803
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

    @rpc(String, String, String, String, **_one(VerificationBean))
    def resendSignUpConfiramtionCode(ctx, userName, code, profileName, tenantDomain):  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            registration.resend_signup_code(env, caller, userName, code, profileName, tenantDomain)
        )

    @rpc(String, String, Captcha, String, **_one(VerificationBean))
    def confirmUserSelfRegistration(ctx, username, code, captcha, tenantDomain):  # noqa: N802,N805,N803
        env, caller = call_env(ctx)
        return convert.verification_bean(
            registration.confirm_registration(
                env, caller, username, code, convert.captcha_input(captcha), tenantDomain
            )
        )
