from mock_bankid.cli import main

main()
