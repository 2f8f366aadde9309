"""Messages of the services (errors shown to users): code -> (zh, en) templates.

Services raise ``Invalid("accounts.username_taken", field="username")``; the web layer renders
the message in the reader's language, the API in the client's (Accept-Language, English by
default), the CLI in English. See :mod:`rubrics.messages` for the template syntax.
"""

from __future__ import annotations

from rubrics.messages import register

MESSAGES: dict[str, tuple[str, str]] = {
    # evaluations (human review, disputes)
    "evaluations.changed_since_opened": (
        "该评估在您打开后已被修改，请刷新后再保存",
        "this evaluation was changed since you opened it; reload it before saving",
    ),
    "evaluations.unknown_release_rule": ("未知的发布规则", "unknown release rule"),
    "evaluations.agents_cannot_review": ("坐席不能评分", "agents cannot review calls"),
    "evaluations.own_call": ("不能评估自己的通话", "you cannot review your own call"),
    "evaluations.not_yours": ("只能修改自己的评估", "you can only change your own evaluation"),
    "evaluations.not_editable": ("该评估已发布，不能再修改", "this evaluation is released and can no longer be edited"),
    "evaluations.already_submitted": ("该评估已提交", "this evaluation was already submitted"),
    "evaluations.unanswered": ("还有未评分的质检项：{criteria}", "some criteria are not answered: {criteria}"),
    "evaluations.not_found": ("评估不存在", "evaluation not found"),
    "evaluations.already_closed": ("该评估已确认或已申诉", "this evaluation was already acknowledged or disputed"),
    "evaluations.dispute_window_passed": ("申诉期已过（{days} 天）", "the dispute window ({days} days) has passed"),
    "evaluations.dispute_no_criteria": ("请选择要申诉的质检项", "choose the criteria you dispute"),
    "evaluations.dispute_reason_required": ("每个申诉项都需要理由", "give a reason for each disputed criterion"),
    "evaluations.rule_own": ("不能裁决自己的评估", "you cannot rule on your own evaluation"),
    "evaluations.dispute_decided": ("该申诉已裁决", "this dispute was already decided"),
    "evaluations.ruling_reason_required": ("请填写裁决理由", "give a reason for the ruling"),
    "evaluations.ruling_incomplete": ("请对每个申诉项作出裁决", "decide every disputed criterion"),
    "evaluations.dispute_not_found": ("申诉不存在", "dispute not found"),
    "evaluations.rubric_not_found": ("质检标准不存在", "rubric not found"),
    "notifications.not_found": ("通知不存在", "notification not found"),
    "evaluations.answers_invalid": ("{n} 个质检项需要修改", "{n} criteria need changes"),
    "evaluations.unknown_criterion": ("未知的质检项", "unknown criterion"),
    "evaluations.choose_result": ("请选择 通过 / 不通过 / 不适用", "choose pass, fail or N/A"),
    "evaluations.na_not_allowed": ("该项不允许选择不适用", "this criterion cannot be N/A"),
    "evaluations.points_required": ("请填写分数", "enter the points"),
    "evaluations.points_range": ("分数应在 {lo}–{hi} 之间", "points must be between {lo} and {hi}"),
    "evaluations.override_reason_required": (
        "推翻机器判定需要填写理由",
        "overriding the automated verdict needs a reason",
    ),
    # calibration sessions
    "calibration.agents_excluded": ("坐席不能查看校准", "agents cannot see calibration sessions"),
    "calibration.lead_only": (
        "只有发起人或管理员可以管理该校准",
        "only the session's lead or an admin can do this",
    ),
    "calibration.not_found": ("校准不存在", "calibration session not found"),
    "calibration.results_hidden": (
        "评分结束前只能看到自己的评分",
        "the results are hidden until the scoring is over (blind scoring)",
    ),
    "calibration.title_required": ("请填写标题", "enter a title"),
    "calibration.title_too_long": (
        "标题过长（最多 {max} 字）",
        "the title is too long ({max} characters at most)",
    ),
    "calibration.rubric_version_required": ("请选择已发布的质检标准", "choose a published rubric version"),
    "calibration.due_date_past": ("截止日期不能早于今天", "the due date cannot be in the past"),
    "calibration.calls_required": ("请至少选择一个通话", "choose at least one call"),
    "calibration.too_many_calls": ("一次校准最多 {max} 个通话", "a session takes at most {max} calls"),
    "calibration.calls_not_found": ("通话不存在：{calls}", "calls not found: {calls}"),
    "calibration.calls_not_scored": (
        "以下通话尚未按该质检标准完成自动评分：{calls}",
        "these calls are not ready or not scored with this rubric version: {calls}",
    ),
    "calibration.raters_invalid": (
        "评分人必须是在职的质检员、培训师或管理员",
        "raters must be active QA reviewers, trainers or admins",
    ),
    "calibration.raters_required": ("请至少选择一名评分人", "choose at least one reviewer"),
    "calibration.too_many_raters": ("最多 {max} 名评分人", "at most {max} raters"),
    "calibration.two_raters_needed": (
        "至少需要两名评分人（可把机器算作一名）",
        "agreement needs two raters or more (the machine may be one)",
    ),
    "calibration.fixed_after_start": (
        "评分开始后不能再修改通话和评分人",
        "calls and raters are fixed once scoring has started",
    ),
    "calibration.changed": ("该校准已被他人修改，请刷新", "someone else changed this session; reload it"),
    "calibration.already_started": ("评分已经开始", "scoring has already started"),
    "calibration.rescored": (
        "通话 #{call_id} 已按其他版本的质检标准重新评分，请移除",
        "call #{call_id} was re-scored with another rubric version; remove it from the session",
    ),
    "calibration.discussion_needs_scoring": (
        "只有评分中的校准可以进入讨论",
        "only a session being scored can move to discussion",
    ),
    "calibration.nothing_submitted": ("还没有人提交评分", "nobody has submitted a score yet"),
    "calibration.scores_missing": (
        "还有 {n} 份评分未提交；确认后再进入讨论",
        "{n} scores are not submitted yet; confirm to move on without them",
    ),
    "calibration.outcome_needs_discussion": (
        "只有讨论中的校准可以记录结论",
        "the outcome is recorded while the session is in discussion",
    ),
    "calibration.call_not_in_session": ("通话 #{call_id} 不在该校准中", "call #{call_id} is not in the session"),
    "calibration.outcome_incomplete": (
        "还有 {n} 个质检项没有一致结论",
        "{n} criteria have no agreed answer yet",
    ),
    "calibration.score_not_found": ("评分不存在", "score not found"),
    "calibration.scoring_not_started": ("评分尚未开始", "scoring has not started yet"),
    "calibration.not_scoring": ("该校准不在评分阶段", "this session is not being scored"),
    "calibration.score_submitted": (
        "该评分已提交，不能再修改",
        "this score was submitted and can no longer change",
    ),
    # form / API field names used as {name:@field}
    "field.started_at": ("通话时间", "started_at"),
    "field.from": ("开始日期", "from"),
    "field.to": ("结束日期", "to"),
    "field.date": ("日期", "date"),
    "field.audio": ("录音文件", "audio"),
    "field.employee_no": ("工号", "employee_no"),
    "field.file": ("文件", "file"),
    # accounts
    "accounts.password_too_short": ("密码至少 {min} 个字符", "password must have at least {min} characters"),
    "accounts.password_mixed": ("密码需同时包含字母和数字或符号", "mix letters with digits or symbols"),
    "accounts.username_format": ("用户名为 3-64 位字母、数字、._-", "username: 3-64 letters, digits, . _ -"),
    "accounts.unknown_role": ("未知角色 “{role}”", "unknown role '{role}'"),
    "accounts.username_taken": ("用户名已存在", "username already taken"),
    "accounts.own_role": ("不能修改自己的角色", "you cannot change your own role"),
    "accounts.deactivate_self": ("不能停用自己", "you cannot deactivate yourself"),
    "accounts.user_not_found": ("用户不存在", "user not found"),
    "accounts.team_name_required": ("请填写班组名称", "team name is required"),
    "accounts.team_exists": ("班组已存在", "a team with this name exists"),
    "accounts.team_not_found": ("班组不存在", "team not found"),
    "accounts.team_has_agents": (
        "班组仍有 {n} 名在职坐席，请先调整或停用",
        "the team still has {n} active agent(s); move or deactivate them first",
    ),
    "accounts.employee_no_required": ("请填写工号", "employee number is required"),
    "accounts.employee_no_taken": ("工号已存在", "employee number already used"),
    "accounts.unknown_employee_no": ("工号 “{employee_no}” 不存在", "unknown employee_no '{employee_no}'"),
    "accounts.hire_date_future": ("入职日期不能晚于今天", "hire date is in the future"),
    "accounts.link_needs_agent_role": (
        "关联账号必须是坐席角色",
        "the linked account must have the agent role",
    ),
    "accounts.user_already_linked": ("该账号已关联其他坐席", "account already linked to an agent"),
    "accounts.agent_not_found": ("坐席不存在", "agent not found"),
    # dates and times
    "time.not_iso": (
        "{name:@field}: “{value}” 不是 ISO 8601 时间（例如 2026-11-20 09:30:00）",
        "{name:@field}: '{value}' is not an ISO 8601 date-time (e.g. 2026-11-20 09:30:00)",
    ),
    "time.not_date": (
        "{name:@field}: “{value}” 不是日期（YYYY-MM-DD）",
        "{name:@field}: '{value}' is not a date (YYYY-MM-DD)",
    ),
    "time.year_out_of_range": (
        "{name:@field}: 年份 {year} 超出范围",
        "{name:@field}: year {year} is out of range",
    ),
    "time.range_reversed": ("结束日期早于开始日期", "the end date is before the start date"),
    # calls (intake, access)
    "rubrics.default_edited": (
        "默认质检标准 {rubric} v{version} 已被修改过，未自动更新；请在质检标准编辑器中修改",
        "the default rubric {rubric} v{version} was edited; it is not updated automatically: change it in the rubric builder",
    ),
    "reliability.not_allowed": (
        "只有质检员、培训师和管理员可以确认转写（坐席不能确认自己的通话）",
        "only reviewers, trainers and admins may confirm a transcript (never the call's own agent)",
    ),
    "reliability.not_flagged": ("此通话的转写未被标记为不可靠", "this call's transcript is not flagged unreliable"),
    "reliability.reason_required": (
        "请说明确认理由（例如：已听录音，转写可用）",
        "give a reason (e.g. listened: the transcript is usable)",
    ),
    "reliability.reason_too_long": ("理由过长（最多 {limit} 个字）", "the reason is too long (at most {limit} characters)"),
    "calls.bad_direction": ("方向无效，可选: {allowed}", "direction must be one of {allowed}"),
    "calls.bad_language": ("语言无效，可选: {allowed}", "language must be one of {allowed}"),
    "calls.bad_layout": ("声道布局无效，可选: {allowed}", "channel layout must be one of {allowed}"),
    "calls.start_needs_timezone": ("通话时间缺少时区", "start time needs a time zone"),
    "calls.agent_inactive": ("坐席已停用", "agent is deactivated"),
    "calls.file_too_large": ("文件超过 {mb} MB 上限", "file exceeds the {mb} MB limit"),
    "calls.bad_audio": ("{filename}: {reason}", "{filename}: {reason}"),
    "calls.stereo_needs_two_channels": (
        "{filename}: 立体声布局需要双声道音频（此文件为 {channels} 声道）",
        "{filename}: a stereo layout needs a 2-channel file (this one has {channels})",
    ),
    "calls.not_found": ("通话不存在", "call not found"),
    "calls.audio_missing": ("录音文件缺失", "audio file missing"),
    "calls.no_transcript": ("通话尚未转写", "the call has no transcript yet"),
    "calls.no_recording": ("该通话没有录音", "this call has no recording"),
    "calls.kpi_seconds": (
        "{name:@kpi_field} 应为 0–{max} 秒（收到 {value}）",
        "{name:@kpi_field} must be 0–{max} seconds (got {value})",
    ),
    "calls.kpi_whole_number": (
        "{name:@kpi_field} 应为 {lo}–{hi} 的整数（收到 {value}）",
        "{name:@kpi_field} must be a whole number {lo}–{hi} (got {value})",
    ),
    "calls.kpi_resolved": (
        "{name:@kpi_field} 应为 yes/no/true/false/1/0（收到 {value}）",
        "{name:@kpi_field} must be yes, no, true, false, 1 or 0 (got {value})",
    ),
    # the KPI fields by their column names (form, API and manifest)
    "kpi_field.wait_seconds": ("等待时长 wait_seconds", "wait_seconds"),
    "kpi_field.hold_seconds": ("保持时长 hold_seconds", "hold_seconds"),
    "kpi_field.wrap_seconds": ("话后处理时长 wrap_seconds", "wrap_seconds"),
    "kpi_field.csat": ("满意度 csat", "csat"),
    "kpi_field.nps": ("推荐值 nps", "nps"),
    "kpi_field.resolved": ("是否解决 resolved", "resolved"),
    # audio checks (transcription.audio.AudioError keys)
    "audio.empty_file": ("文件是空的（0 字节）", "the file is empty (0 bytes)"),
    "audio.not_audio": (
        "不是支持的音频文件（WAV、FLAC、MP3、OGG 或 M4A），与文件名无关",
        "not a supported audio file (WAV, FLAC, MP3, OGG or M4A), whatever its name says",
    ),
    "audio.wav_no_data": (
        "WAV 文件没有音频数据块（可能不完整）",
        "WAV file has no audio data chunk (truncated?)",
    ),
    "audio.wav_no_samples": (
        "WAV 文件不含音频采样（内容为空）",
        "WAV file contains no audio samples (empty)",
    ),
    "audio.wav_truncated": (
        "WAV 文件不完整：文件在音频数据结束前就截断了",
        "WAV file is truncated: it ends before its audio data does",
    ),
    "audio.unreadable": ("无法读取该 {format} 文件", "the {format} file cannot be read"),
    "audio.no_audio_stream": ("文件中没有音频流", "the file has no audio stream"),
    "audio.too_long": (
        "录音时长 {minutes:.1f} 分钟，超过 {limit:.0f} 分钟上限",
        "the recording lasts {minutes:.1f} min; the limit is {limit:.0f} min",
    ),
    "audio.corrupt": ("该 {format} 文件已损坏或不完整", "the {format} file is damaged or truncated"),
    "audio.longer_than_limit": (
        "录音超过 {limit:.0f} 分钟上限",
        "the recording is longer than the {limit:.0f} min limit",
    ),
    "audio.length_unknown": ("无法确定录音时长", "the length of the recording cannot be established"),
    "audio.truncated": (
        "该 {format} 文件不完整：只有 {decoded:.1f} 秒音频，文件头标明 {duration:.1f} 秒",
        "the {format} file is truncated: {decoded:.1f} s of audio where its header says {duration:.1f} s",
    ),
    "audio.no_audio": ("录音中没有声音内容（内容为空）", "the recording contains no audio (empty)"),
    "audio.decode_failed": ("无法解码音频", "cannot decode audio"),
    "audio.mute_failed": ("无法静音已脱敏的音频", "cannot mute redacted audio"),
    "audio.encode_failed": ("无法生成播放用的压缩音频", "cannot encode the playback copy"),
    "audio.tool_missing": (
        "服务器未安装 {tool}（请运行安装脚本）",
        "{tool} is not installed (run the setup script)",
    ),
    # telephony import (CLI)
    "import.missing_columns": ("表头缺少列: {columns}", "header is missing column(s): {columns}"),
    "import.missing_value": ("缺少 {column}", "missing {column}"),
    "import.outside_folder": ("文件 “{file}” 不在导入目录内", "file '{file}' is outside the import folder"),
    "import.file_not_found": ("文件 “{file}” 不存在", "file '{file}' not found"),
    # API
    "api.missing_file": ("缺少文件字段 “{name}”", "missing file field '{name}'"),
    "api.missing_field": ("缺少字段 “{name}”", "missing field '{name}'"),
    "api.token_missing": (
        "缺少 API 令牌（请求头 Authorization: Bearer <令牌>）",
        "missing API token (header Authorization: Bearer <token>)",
    ),
    "api.token_invalid": ("API 令牌无效", "invalid API token"),
    "api.token_expired": (
        "API 令牌已于 {date} 过期，请管理员重新生成",
        "the API token expired on {date}; ask an administrator for a new one",
    ),
    # rubrics
    "rubrics.version_not_found": ("质检标准不存在", "rubric version not found"),
    "rubrics.invalid": ("{issues}", "{issues}"),
    "rubrics.unreadable_yaml": ("无法读取该 YAML 文件", "the YAML cannot be read"),
    "rubrics.id_changed": ("不能修改标准编号", "the rubric id cannot change in a draft"),
    "rubrics.stale_draft": (
        "该草稿已被他人修改，请刷新后重试",
        "someone else saved this draft; reload and retry",
    ),
    "rubrics.open_draft_exists": (
        "标准 {rubric} 已有未发布的草稿 v{version}",
        "rubric {rubric} already has an unpublished draft v{version}",
    ),
    "rubrics.publish_drafts_only": ("只能发布草稿", "only drafts can be published"),
    # coaching plans, items and sessions
    "coaching.managers_only": ("只有培训师和管理员可以管理辅导计划", "only trainers and admins manage coaching plans"),
    "coaching.plan_not_found": ("辅导计划不存在", "coaching plan not found"),
    "coaching.item_not_found": ("学习项不存在", "learning item not found"),
    "coaching.exemplar_not_found": ("示范通话不存在", "exemplar call not found"),
    "coaching.session_not_found": ("辅导面谈不存在", "coaching session not found"),
    "coaching.target_rate_range": ("目标通过率应在 1%–100%", "the target pass rate must be 1–100%"),
    "coaching.target_calls_range": ("复核通话数应在 1–{max}", "the number of calls must be 1–{max}"),
    "coaching.due_in_past": ("截止日期不能早于今天", "the due date cannot be in the past"),
    "coaching.due_too_far": ("截止日期不能超过一年", "the due date must be within a year"),
    "coaching.no_criteria": ("请至少选择一个质检项", "choose at least one criterion"),
    "coaching.too_many_criteria": ("最多选择 {max} 个质检项", "choose at most {max} criteria"),
    "coaching.unknown_criteria": ("未知的质检项：{criteria}", "unknown criterion: {criteria}"),
    "coaching.criteria_in_active_plan": (
        "该坐席已有针对这些质检项的进行中计划：{criteria}",
        "the agent already has an active plan on: {criteria}",
    ),
    "coaching.evaluation_not_agents": ("所选评估不属于该坐席", "a chosen evaluation is not one of this agent's"),
    "coaching.plan_closed": ("该辅导计划已结束", "this coaching plan is closed"),
    "coaching.article_unavailable": ("知识文章不存在或已停用", "the article does not exist or is inactive"),
    "coaching.article_in_plan": ("该文章已在计划中", "the article is already in the plan"),
    "coaching.exemplar_criterion": (
        "示范通话需对应计划中的质检项",
        "an exemplar must be for one of the plan's criteria",
    ),
    "coaching.call_in_plan": ("该通话已在计划中", "the call is already in the plan"),
    "coaching.exemplar_not_passing": (
        "示范通话须是老员工在该项通过的通话",
        "an exemplar must be a veteran's call that passes the criterion",
    ),
    "coaching.task_required": ("请填写任务内容", "describe the task"),
    "coaching.item_incomplete": ("学习项不完整", "the learning item is incomplete"),
    "coaching.only_agent_marks_done": ("只有该坐席本人可以标记完成", "only the coached agent marks items done"),
    "coaching.only_agent_acknowledges_plan": ("只有该坐席本人可以确认", "only the coached agent acknowledges the plan"),
    "coaching.plan_already_acknowledged": ("已确认过该计划", "you already acknowledged this plan"),
    "coaching.plan_changed_since_opened": (
        "该计划已被修改，请刷新后重试",
        "this plan was changed since you opened it; reload it",
    ),
    "coaching.plan_saved_by_someone_else": ("该计划已被他人修改，请刷新", "someone else changed this plan; reload it"),
    "coaching.cancel_reason_required": ("请填写取消原因", "give a reason for cancelling"),
    "coaching.time_needs_zone": ("时间缺少时区", "the time needs a time zone"),
    "coaching.time_within_year": ("时间须在一年之内", "the time must be within a year of today"),
    "coaching.session_cancelled": ("该面谈已取消", "this session was cancelled"),
    "coaching.session_already_recorded": ("该面谈已记录", "this session was already recorded"),
    "coaching.held_in_future": ("面谈时间不能在将来", "a held session cannot be in the future"),
    "coaching.notes_required": ("请填写面谈记录", "write down what was discussed"),
    "coaching.only_agent_acknowledges_session": (
        "只有该坐席本人可以确认",
        "only the coached agent acknowledges a session",
    ),
    "coaching.session_not_held": ("面谈尚未进行，无法确认", "the session has not been held yet"),
    "coaching.session_already_acknowledged": ("已确认过该面谈", "you already acknowledged this session"),
    # knowledge base
    "knowledge.title_required": ("请填写标题", "a title is required"),
    "knowledge.title_too_long": ("标题最多 {max} 个字符", "the title has at most {max} characters"),
    "knowledge.body_required": ("请填写正文", "the article needs a body"),
    "knowledge.body_too_long": ("正文最多 {max} 个字符", "the body has at most {max} characters"),
    "knowledge.too_many_tags": ("标签最多 {max} 个", "at most {max} tags"),
    "knowledge.tag_too_long": ("标签最多 {max} 个字符", "a tag has at most {max} characters"),
    "knowledge.editors_only": ("只有培训师和管理员可以编辑知识库", "only trainers and admins edit the knowledge base"),
    "knowledge.changed_since_opened": (
        "该文章已被修改（{who}），请刷新后再保存",
        "this article was changed since you opened it ({who}); reload it before saving",
    ),
    "knowledge.saved_by_someone_else": ("该文章已被他人修改，请刷新", "someone else saved this article; reload it"),
    "knowledge.article_not_found": ("文章不存在", "article not found"),
    # sampling plans and runs
    "sampling.name_required": ("请填写计划名称（最多 {max} 字）", "enter a plan name (at most {max} characters)"),
    "sampling.name_taken": ("已有同名的抽检计划", "a sampling plan with this name exists"),
    "sampling.unknown_period": ("周期应为 日/周/月", "the period must be day, week or month"),
    "sampling.random_range": ("每位坐席随机抽取 0–{max} 通", "random calls per agent: 0–{max}"),
    "sampling.samples_nothing": (
        "该计划不会抽取任何通话：请设置每位坐席随机抽取数，或至少开启一条定向规则",
        "this plan samples nothing: set random calls per agent or switch on at least one targeted rule",
    ),
    "sampling.due_days_range": ("完成期限为 1–{max} 天", "due within 1–{max} days"),
    "sampling.cap_range": ("每人上限为 1–{max}", "the cap per reviewer is 1–{max}"),
    "sampling.bad_reviewers": (
        "质检员须为在职的质检员、培训师或管理员",
        "reviewers must be active QA reviewers, trainers or admins",
    ),
    "sampling.plan_not_found": ("抽检计划不存在", "sampling plan not found"),
    "sampling.period_mismatch": (
        "期间 “{key}” 不符合计划周期（{period:@sampling_period}），例如 {example}",
        "'{key}' is not a {period:@sampling_period} period (e.g. {example})",
    ),
    "sampling.invalid_rule": ("规则取值无效：{problem}", "invalid value: {problem}"),
    "sampling_period.day": ("日", "day"),
    "sampling_period.week": ("周", "week"),
    "sampling_period.month": ("月", "month"),
    # review assignments (queues)
    "assignments.not_found": ("抽检任务不存在", "assignment not found"),
    "assignments.closed": ("该任务已完成或已跳过", "this assignment is already done or skipped"),
    "assignments.skip_reason_required": ("请填写跳过的原因", "give a reason for skipping"),
}

register(MESSAGES)
