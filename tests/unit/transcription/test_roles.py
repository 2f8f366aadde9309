def test_an_agent_greeting_split_by_asr_is_not_taken_for_an_ivr_prompt():
    from transcription.roles import is_ivr_text

    assert not is_ivr_text("您好,欢迎致电星联通信,")  # first half of an agent's greeting
    assert not is_ivr_text("Thank you for calling Northstar Telecom.")
    assert is_ivr_text("欢迎致电星联通信，本次通话可能会被录音")
    assert is_ivr_text("查询话费请按1，办理业务请按2")
    assert is_ivr_text("Welcome to Northstar. Please hold, your call is important to us.")
